// Runs every compiled test file with Node's test runner, one file at a time
// (each file starts its own redis-server processes on free ports).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// TEST_BUILD_DIR: another compiled tree (e.g. `tsc --outDir .build-x`), so that parallel builds do not collide.
const root = new URL(`../${process.env.TEST_BUILD_DIR ?? '.build'}/test`, import.meta.url).pathname;
const pattern = process.env.TEST_PATTERN ? new RegExp(process.env.TEST_PATTERN) : undefined;

function specs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return specs(path);
    return entry.name.endsWith('.spec.js') && (!pattern || pattern.test(path)) ? [path] : [];
  });
}

const files = specs(root).sort();
if (files.length === 0) {
  console.error(`no test files under ${root}`);
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
    '--test-concurrency=1',
    '--test-reporter=spec',
    ...files,
  ],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
