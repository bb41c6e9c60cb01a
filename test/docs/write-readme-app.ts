// The app of the README's Quick start, for the install matrix: writes every README block whose first line names an
// app file (`// src/app.module.ts`) at that path under the app's folder, and prints the packages of the README's
// `npm install` lines (the library itself left out: the matrix installs the packed tarball instead).
//
//   node write-readme-app.js <README.md> <app folder>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { codeBlocks, installedPackages } from './markdown-code-blocks';

const [readmePath, appDir] = process.argv.slice(2);
if (!readmePath || !appDir) {
  console.error('usage: node write-readme-app.js <README.md> <app folder>');
  process.exit(2);
}
const readme = readFileSync(readmePath, 'utf8');
const files = codeBlocks(readme).filter((block) => block.appFile !== undefined);
if (!files.some((block) => block.appFile === 'src/main.ts')) {
  console.error(`${readmePath}: no block starts with "// src/main.ts"`);
  process.exit(1);
}
for (const block of files) {
  const path = join(appDir, block.appFile!);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${block.code}\n`);
}
const packageName = (JSON.parse(readFileSync(join(dirname(readmePath), 'package.json'), 'utf8')) as { name: string })
  .name;
console.log(
  installedPackages(readme)
    .filter((name) => name !== packageName)
    .join(' '),
);
