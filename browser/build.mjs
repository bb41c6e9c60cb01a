// `npm run build`, last step: the dashboard's browser files into dist/browser/, where the dashboard reads them
// (lib/dashboard/assets/dashboard-assets.ts) and the package ships them. dashboard.ts is type-checked with
// browser/tsconfig.json (the DOM's types, no Node's, the server's view types) and written as a plain script:
// a type error fails the build. The stylesheet and the icon are copied as they are.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const browser = fileURLToPath(new URL('.', import.meta.url));
const out = fileURLToPath(new URL('../dist/browser/', import.meta.url));
const script = `${browser}dashboard.ts`;

const config = ts.getParsedCommandLineOfConfigFile(
  `${browser}tsconfig.json`,
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail([diagnostic]),
  },
);
const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: false });
fail([...config.errors, ...ts.getPreEmitDiagnostics(program)]);

mkdirSync(out, { recursive: true });
// Only the script: the view types it names are the server's, compiled with lib/.
const emitted = program.emit(program.getSourceFile(script), (file, text) => {
  if (!file.endsWith('.js')) throw new Error(`browser/build.mjs: unexpected output ${file}`);
  writeFileSync(`${out}${basename(file)}`, text);
});
fail(emitted.diagnostics);
for (const file of ['dashboard.css', 'icon.svg']) copyFileSync(`${browser}${file}`, `${out}${file}`);

function fail(diagnostics) {
  if (diagnostics.length === 0) return;
  const host = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    getNewLine: () => '\n',
  };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}
