import { createHash } from 'node:crypto';
import { DASHBOARD_ICON } from './dashboard-icon.asset';
import { DASHBOARD_SCRIPT } from './dashboard-script.asset';
import { DASHBOARD_STYLE } from './dashboard-style.asset';

/** A file the dashboard serves from memory. */
export interface DashboardAsset {
  contentType: string;
  body: string;
  /** A hash of the body: pages ask for `assets/<name>?v=<version>`, so a new release is never served stale. */
  version: string;
}

function asset(contentType: string, body: string): DashboardAsset {
  return { contentType, body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

/** Every asset by file name: the package ships them as code, no file to find at run time, no build step, no CDN. */
export const DASHBOARD_ASSETS: ReadonlyMap<string, DashboardAsset> = new Map([
  ['dashboard.js', asset('text/javascript; charset=utf-8', DASHBOARD_SCRIPT)],
  ['dashboard.css', asset('text/css; charset=utf-8', DASHBOARD_STYLE)],
  ['icon.svg', asset('image/svg+xml', DASHBOARD_ICON)],
]);

/** The URL of one of the assets above, relative to a dashboard page. */
export function assetUrl(name: 'dashboard.js' | 'dashboard.css' | 'icon.svg'): string {
  return `assets/${name}?v=${(DASHBOARD_ASSETS.get(name) as DashboardAsset).version}`;
}
