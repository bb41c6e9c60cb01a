import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's chromium, installed by test/harness/ensure-chromium.sh (puppeteer-core downloads no browser). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless chromium for one test file. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`No chromium at ${CHROMIUM}: run bash test/harness/ensure-chromium.sh (or set CHROMIUM_PATH)`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
  });
}

/** What a page did that a test must know of: dialogs (an XSS payload's alert), console errors, CSP reports. */
export interface PageEvents {
  dialogs: string[];
  errors: string[];
}

/** A new tab that records dialogs (and dismisses them) and script errors. */
export async function openTab(
  browser: Browser,
  width = 1280,
  height = 900,
): Promise<{ page: Page; events: PageEvents }> {
  const page = await browser.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  const events: PageEvents = { dialogs: [], errors: [] };
  page.on('dialog', (dialog) => {
    events.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (error) => events.errors.push(String((error as Error).message ?? error)));
  page.on('console', (message) => {
    if (message.type() === 'error') events.errors.push(message.text());
  });
  return { page, events };
}

/** Opens a dashboard page and waits until its script drew the view from the JSON endpoint. */
export async function openDashboardPage(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 10_000 });
}
