// The dashboard's browser files: built by `npm run build` (browser/build.mjs) into dist/browser/, read from there
// through the package's own name, and refused with what to do when they are missing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { browserDirectory, dashboardAssets, readDashboardAssets } from '../../lib/dashboard/assets/dashboard-assets';

const REPOSITORY = resolve(__dirname, '..', '..', '..');

describe('dashboard assets', () => {
  it('are the files npm run build wrote to dist/browser/ of this package', () => {
    assert.equal(browserDirectory(), join(REPOSITORY, 'dist', 'browser'));
    for (const [name, asset] of dashboardAssets())
      assert.equal(asset.body, readFileSync(join(REPOSITORY, 'dist', 'browser', name), 'utf8'), name);
  });

  it('serve the script as a classic script: no module syntax, no source map to fetch', () => {
    const script = (dashboardAssets().get('dashboard.js') as { body: string }).body;
    assert.match(script, /^"use strict";\n\(\(\) => \{\n/);
    assert.doesNotMatch(script, /^\s*(import|export)\b/m);
    assert.doesNotMatch(script, /sourceMappingURL/);
  });

  it('are refused at once, with what to do, when the package was not built', () => {
    const empty = mkdtempSync(join(tmpdir(), 'dashboard-assets-'));
    try {
      assert.throws(
        () => readDashboardAssets(empty),
        (error: Error) =>
          /^nestjs-stateful-redis: the dashboard's dashboard\.js is missing from .*; .*run npm run build$/.test(
            error.message,
          ) && (error.cause as NodeJS.ErrnoException).code === 'ENOENT',
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
