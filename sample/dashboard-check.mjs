/*
 * `npm run demo -- --check`, dashboard part: opens the operator dashboard at /ops in headless Chromium, as an
 * operator's browser on this machine would, and verifies that every page drew its data: the script loaded, its
 * JSON view answered, the tables have rows, and no request of the page failed. A stylesheet refused with a 400
 * and a page left on "Loading…" (a host app's global pipe in the dashboard's way) fail it.
 *
 * Chromium: Debian's at /usr/bin/chromium (bash test/harness/ensure-chromium.sh), or CHROMIUM_PATH.
 */
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The pages to open and the table each must show with rows. `namespace` and `uid`: a namespace whose service
 * `game` has pods reporting, and a user linked in it.
 */
function pages(namespace, uid) {
  return [
    { path: `/ops/routing?namespace=${namespace}&service=game`, block: 'pods', what: 'pods of game' },
    { path: `/ops/users?namespace=${namespace}&uid=${uid}`, block: 'links', what: `links of ${uid}` },
    { path: '/ops/scheduler', block: 'tasks', what: 'tasks' },
    { path: '/ops/task?id=pod-sweep', block: 'runs', what: 'runs of pod-sweep' },
  ];
}

/** Throws unless every dashboard page rendered rows; `say` prints one line per page. */
export async function checkDashboard(base, { namespace, uid, say }) {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `dashboard check: no chromium at ${CHROMIUM} (run bash test/harness/ensure-chromium.sh, or set CHROMIUM_PATH)`,
    );
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(`script error: ${error.message ?? error}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
    });
    for (const { path, block, what } of pages(namespace, uid)) {
      await page.goto(`${base}${path}`, { waitUntil: 'domcontentloaded' });
      try {
        await page.waitForSelector('body[data-loaded="1"]', { timeout: 10_000 });
      } catch {
        const status = await page.$eval('#status', (node) => node.textContent).catch(() => 'no status');
        throw new Error(`dashboard check: ${path} never drew its data (${status}); ${problems.join('; ')}`);
      }
      const rows = await page.$$eval(`[data-block="${block}"] tbody tr`, (found) => found.length);
      // A string, evaluated in the page: this file knows no DOM.
      const styled = await page.evaluate('[...document.styleSheets].some((sheet) => sheet.cssRules.length > 0)');
      say(`dashboard ${path}: ${rows} rows of ${what}${styled ? ', styled' : ', NOT styled'}`);
      if (rows === 0) throw new Error(`dashboard check: ${path} shows no ${what}`);
      if (!styled) throw new Error(`dashboard check: ${path} has no stylesheet`);
      if (problems.length > 0) throw new Error(`dashboard check: ${path}: ${problems.join('; ')}`);
    }
  } finally {
    await browser.close();
  }
}
