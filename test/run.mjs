// Runs every compiled test file with Node's test runner, one file at a time
// (each file starts its own redis-server processes on free ports).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

// TEST_BUILD_DIR: another compiled tree (e.g. `tsc --outDir .build-x`), so that parallel builds do not collide.
const root = new URL(`../${process.env.TEST_BUILD_DIR ?? '.build'}/test`, import.meta.url).pathname;
const pattern = process.env.TEST_PATTERN ? new RegExp(process.env.TEST_PATTERN) : undefined;

// TEST_KIND: the specs of one cost, told by their file names. `unit`: `*.unit.spec.ts`, neither Redis, nor dist/,
// nor a browser; `browser`: `*.browser.spec.ts`, headless Chromium (and Redis, and dist/); `redis`: every other one
// (real redis-server processes, or dist/, or both). Unset: every spec.
const KINDS = {
  unit: (name) => name.endsWith('.unit.spec.js'),
  browser: (name) => name.endsWith('.browser.spec.js'),
  redis: (name) => !name.endsWith('.unit.spec.js') && !name.endsWith('.browser.spec.js'),
};
const kind = process.env.TEST_KIND;
if (kind !== undefined && !(kind in KINDS)) {
  console.error(`TEST_KIND=${kind}: expected one of ${Object.keys(KINDS).join(', ')}`);
  process.exit(1);
}
const ofKind = kind === undefined ? () => true : KINDS[kind];

function specs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return specs(path);
    return entry.name.endsWith('.spec.js') && ofKind(entry.name) && (!pattern || pattern.test(path)) ? [path] : [];
  });
}

const files = specs(root).sort();
if (files.length === 0) {
  console.error(`no test files under ${root}${kind === undefined ? '' : ` of kind ${kind}`}`);
  process.exit(1);
}
const failOnUnhandled = new URL('./fail-on-unhandled.cjs', import.meta.url).pathname;
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--require',
    failOnUnhandled,
    '--test',
    // Unit specs share nothing: side by side. The others start servers and measure time: one at a time.
    `--test-concurrency=${kind === 'unit' ? availableParallelism() : 1}`,
    '--test-reporter=spec',
    ...files,
  ],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
