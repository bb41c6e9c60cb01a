// Every TypeScript block of README.md and docs/*.md, type-checked against the built package (dist/, imported as
// `nestjs-stateful-redis`), so that the docs cannot drift from the API. Blocks marked as fragments are skipped.
// Each block is a file of its own; blocks whose first line names an app file (`// src/app.module.ts`) are written
// at that path, one folder per document, so that they import each other as the README's Quick start does.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { codeBlocks, isTypeScript, proseLines } from './markdown-code-blocks';

// Compiled to <build dir>/test/docs/: the checkout is three levels up.
const root = resolve(__dirname, '../../..');

/** A TypeScript block written out as a file, and where it came from. */
interface SnippetFile {
  readonly document: string;
  readonly line: number;
  readonly path: string;
}

/**
 * A document that must fail: a method the service does not have, and a wrong argument type. It goes through the
 * same check as the real documents, proving that a broken snippet is reported with its document and line.
 */
const BROKEN_DOCUMENT = [
  '# A broken page',
  '',
  '```ts',
  "import { DistributedSchedulerService, StatefulExecutorService } from 'nestjs-stateful-redis';",
  '',
  'export async function broken(scheduler: DistributedSchedulerService, directory: StatefulExecutorService) {',
  "  await scheduler.addTasks({ name: 'x' });",
  "  await directory.getLinkedPod('prod', 42, 'game');",
  '}',
  '```',
  '',
].join('\n');

/**
 * The checks of the app `nest new` (NestJS 12) makes: ESM (`"type": "module"` is written beside the snippets),
 * `nodenext`, and `isolatedModules` with `emitDecoratorMetadata`, under which a type imported as a value and used in
 * a decorated signature is error TS1272. Its own tsconfig is looser elsewhere (`strict` off); the snippets stay strict.
 */
const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  resolvePackageJsonExports: true,
  isolatedModules: true,
  moduleDetection: ts.ModuleDetectionKind.Force,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2024.d.ts'],
  types: ['node'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
};

function documents(): { name: string; text: string }[] {
  const pages = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...pages].map((name) => ({ name, text: readFileSync(join(root, name), 'utf8') }));
}

/** Writes the TypeScript blocks of a document under `dir`; returns them, with the number of fragments skipped. */
function writeSnippets(dir: string, document: string, text: string): { files: SnippetFile[]; fragments: number } {
  const blocks = codeBlocks(text).filter(isTypeScript);
  const files = blocks
    .filter((block) => !block.fragment)
    .map((block) => {
      const path = join(dir, block.appFile ?? `block-at-line-${block.line}.ts`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${block.code}\n`);
      return { document, line: block.line, path };
    });
  return { files, fragments: blocks.length - files.length };
}

/** The type errors of `files` (compiled together), as `<document>:<line>: <message>`, by document. */
function typeErrors(files: readonly SnippetFile[]): Map<string, string[]> {
  const program = ts.createProgram(
    files.map((file) => file.path),
    COMPILER_OPTIONS,
  );
  const byPath = new Map(files.map((file) => [resolve(file.path), file]));
  const errors = new Map<string, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const snippet = diagnostic.file && byPath.get(resolve(diagnostic.file.fileName));
    if (!snippet || diagnostic.start === undefined) {
      const where = diagnostic.file ? relative(root, diagnostic.file.fileName) : 'options';
      errors.set('(outside the snippets)', [...(errors.get('(outside the snippets)') ?? []), `${where}: ${message}`]);
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    const entry = `${snippet.document}:${snippet.line + line}: TS${diagnostic.code} ${message}`;
    errors.set(snippet.document, [...(errors.get(snippet.document) ?? []), entry]);
  }
  return errors;
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

describe('links of README.md and docs/', () => {
  it('lead to files of the repository and headings that exist', () => {
    const anchors = new Map(
      documents().map(({ name, text }) => [
        name,
        new Set(
          proseLines(text)
            .flatMap((line) => /^#{1,6} (.*)$/.exec(line)?.slice(1) ?? [])
            .map(anchorOf),
        ),
      ]),
    );
    const broken = documents().flatMap(({ name, text }) =>
      proseLines(text)
        .flatMap((line) => [...line.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]))
        .filter((url) => !/^[a-z]+:/.test(url))
        .filter((url) => {
          const [path, anchor] = url.split('#');
          const target = path === '' ? name : relative(root, resolve(root, dirname(name), path));
          if (!existsSync(join(root, target))) return true;
          return anchor !== undefined && target.endsWith('.md') && !anchors.get(target)?.has(anchor);
        })
        .map((url) => `${name}: ${url}`),
    );
    assert.deepEqual(broken, []);
  });
});

describe('TypeScript blocks of README.md and docs/', () => {
  let dir: string;
  const files: SnippetFile[] = [];
  let errors = new Map<string, string[]>();
  const fragments = new Map<string, number>();

  before(() => {
    assert.ok(existsSync(join(root, 'dist/index.d.ts')), 'dist/ is missing: run `npm run build` first');
    // Inside the checkout, so that the checkout's node_modules/ resolve; an ESM package of its own, as `nest new`
    // makes, with `nestjs-stateful-redis` linked to the checkout (its `exports`: dist/).
    dir = mkdtempSync(join(root, '.build-doc-snippets-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/nestjs-stateful-redis'), 'dir');
    const all = [...documents(), { name: 'broken.md', text: BROKEN_DOCUMENT }];
    all.forEach(({ name, text }, index) => {
      const written = writeSnippets(join(dir, `${index}`), name, text);
      files.push(...written.files);
      fragments.set(name, written.fragments);
    });
    errors = typeErrors(files);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles every block of every document', () => {
    const reported = [...errors].filter(([document]) => document !== 'broken.md').flatMap(([, lines]) => lines);
    assert.deepEqual(reported, [], `the docs do not compile:\n${reported.join('\n')}`);
    const checked = files.filter((file) => file.document !== 'broken.md');
    assert.ok(checked.length >= 12, `only ${checked.length} TypeScript blocks found`);
    assert.ok(checked.some((file) => file.document === 'README.md' && file.path.endsWith('src/app.module.ts')));
  });

  it('keeps fragments few', () => {
    const total = [...fragments.values()].reduce((sum, count) => sum + count, 0);
    assert.ok(total <= 5, `${total} blocks are marked as fragments: make them whole files`);
  });

  it('reports a broken block with its document and line', () => {
    const broken = errors.get('broken.md') ?? [];
    assert.equal(broken.length, 2, broken.join('\n'));
    assert.match(broken[0], /^broken\.md:7: TS2551 Property 'addTasks' does not exist/);
    assert.match(broken[1], /^broken\.md:8: TS2345 Argument of type 'number' is not assignable/);
  });

  it('finds the app files of the README Quick start', () => {
    const readme = codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    const appFiles = readme.map((block) => block.appFile).filter((path) => path !== undefined);
    assert.deepEqual(appFiles, [
      'src/main.ts',
      'src/app.module.ts',
      'src/rooms/rooms.module.ts',
      'src/reports/reports.module.ts',
    ]);
  });
});
