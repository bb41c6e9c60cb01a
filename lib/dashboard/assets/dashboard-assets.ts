import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The files the dashboard serves, by name. */
export type DashboardAssetName = 'dashboard.js' | 'dashboard.css' | 'icon.svg';

/** A file the dashboard serves from memory. */
export interface DashboardAsset {
  contentType: string;
  body: string;
  /** A hash of the body: pages ask for `assets/<name>?v=<version>`, so a new release is never served stale. */
  version: string;
}

const CONTENT_TYPES: Record<DashboardAssetName, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/**
 * `dist/browser/` of this package, where `npm run build` writes the browser files (browser/build.mjs) and from
 * where the package ships them. The package's own name resolves to its package.json (Node's self-reference through
 * `exports`), installed or in this repository, from dist/ or a test build: nothing walks up from this file.
 */
export function browserDirectory(): string {
  return join(dirname(require.resolve('nestjs-stateful-redis/package.json')), 'dist', 'browser');
}

/** Reads the browser files of `directory`: a package without them (not built) is refused with what to do. */
export function readDashboardAssets(directory: string): ReadonlyMap<string, DashboardAsset> {
  return new Map(
    Object.entries(CONTENT_TYPES).map(([name, contentType]) => {
      let body: string;
      try {
        body = readFileSync(join(directory, name), 'utf8');
      } catch (error) {
        throw new Error(
          `nestjs-stateful-redis: the dashboard's ${name} is missing from ${directory}; ` +
            'an installed package is incomplete (reinstall it); in a clone of the repository, run npm run build',
          { cause: error },
        );
      }
      return [name, { contentType, body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) }];
    }),
  );
}

let assets: ReadonlyMap<string, DashboardAsset> | undefined;

/** Every asset by file name, read once, at the dashboard's first use (its controller's creation). */
export function dashboardAssets(): ReadonlyMap<string, DashboardAsset> {
  assets ??= readDashboardAssets(browserDirectory());
  return assets;
}

/** The URL of one of the assets above, relative to a dashboard page. */
export function assetUrl(name: DashboardAssetName): string {
  return `assets/${name}?v=${(dashboardAssets().get(name) as DashboardAsset).version}`;
}
