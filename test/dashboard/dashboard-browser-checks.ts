// The dashboard in headless chromium (Debian's, driven by puppeteer-core), on a real redis-server and a real
// Nest app: each page with seeded data shows what it should, the actions work from the page, the views
// refresh by themselves, and the XSS strings in uids, service, namespace and task names render as text:
// no dialog opens, no element is injected, no script error or CSP violation is reported. The same checks run
// against the tests' own app (dashboard-browser.spec.ts) and the sample gateway with its global pipe, filter and
// guard (test/e2e/sample-dashboard-browser.spec.ts).
import type { Browser, Page } from 'puppeteer-core';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_POD } from '../../lib';
import { RedisServer } from '../harness/redis-server';
import { PageEvents, launchBrowser, openDashboardPage, openTab } from './browser';
import type { DashboardApp } from './dashboard-app';
import { NS, PAYLOAD_SECRET, URL_PASSWORD, XSS, registerWorkflows, seedRouting, seedScheduler } from './seed-data';

/** The text of every cell of a table block, row by row. */
export function tableText(page: Page, block: string): Promise<string[][]> {
  return page.$$eval(`[data-block="${block}"] tbody tr`, (rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').trim())),
  );
}

async function waitForText(page: Page, selector: string, text: string, timeout = 8_000): Promise<void> {
  // A string, evaluated in the page (this file is compiled without the DOM's types).
  const inPage = `[...document.querySelectorAll(${JSON.stringify(selector)})].some((node) => (node.textContent ?? '').includes(${JSON.stringify(text)}))`;
  await page.waitForFunction(inPage, { timeout });
}

/** Nothing the XSS strings could have done happened on the page. */
export async function assertNoInjection(page: Page, events: PageEvents): Promise<void> {
  assert.deepEqual(events.dialogs, [], 'no dialog opened');
  assert.deepEqual(events.errors, [], 'no script error, no CSP violation');
  const injected = await page.$$eval('img[src="x"], svg[onload], script:not([src])', (nodes) => nodes.length);
  assert.equal(injected, 0, 'no element built from a string');
  assert.equal(await page.$$eval('[onerror], [onload]', (nodes) => nodes.length), 0);
}

/** What the checks of one app are given, and what a file adds to them. */
export interface DashboardInChromium {
  /** The dashboard's path in the app. */
  path: string;
  /** Starts the app, with the scheduler, on this redis-server; the checks seed it. */
  start(server: RedisServer): Promise<DashboardApp>;
  /** More tests of this file, run after the shared ones, with the running server, app and browser. */
  more?(context: () => { server: RedisServer; app: DashboardApp; base: string; browser: Browser }): void;
}

/** The shared checks, in a `describe` of this title, against the app `start` starts (seeded as the checks expect). */
export function describeDashboardInChromium(title: string, options: DashboardInChromium): void {
  describe(title, () => {
    let server: RedisServer;
    let app: DashboardApp;
    let browser: Browser;
    let base: string;

    before(async () => {
      server = await RedisServer.start();
      [app, browser] = await Promise.all([options.start(server), launchBrowser()]);
      base = `${app.origin}${options.path}`;
      registerWorkflows(app.scheduler!);
      await seedRouting(app.routing, server);
      await seedScheduler(app.scheduler!);
    });

    after(async () => {
      await browser?.close();
      await app?.close();
      await server?.dispose();
    });

    it('routing: services and the pods of one, XSS names as text', async () => {
      const { page, events } = await openTab(browser);
      await openDashboardPage(page, `${base}/routing?namespace=${NS}&service=game`);
      const services = await tableText(page, 'services');
      const names = services.map((row) => row[1]);
      for (const name of ['chat', 'game', 'matchmaker', XSS.service, 'lobby']) assert.ok(names.includes(name), name);
      assert.ok(
        services.some((row) => row[0] === XSS.namespace),
        'the XSS namespace shows as text',
      );
      const game = services.find((row) => row[1] === 'game')!;
      assert.deepEqual(game.slice(2, 6), ['rolling-update', '4', '2', '1']);
      assert.equal(await page.$eval('[data-block="pods"] h2', (node) => node.textContent), 'Pods of game');
      const pods = await tableText(page, 'pods');
      assert.deepEqual(
        pods.map((row) => [row[0], row[1], row[2], row[4]]),
        [
          ['0', 'running', '12', 'live'],
          ['1', 'running', '9', 'live'],
          ['2', 'draining', '3', 'live'],
          ['3', 'stopped', '0', 'silent'],
        ],
      );
      assert.match(pods[3][3], /^10 min( \d+ s)? ago$/);
      assert.equal(await page.$eval('.mode', (node) => node.textContent), 'actions on');

      // Follow the link of the XSS service: its name is the title, as text.
      const links = await page.$$('[data-block="services"] tbody a');
      for (const link of links) {
        if ((await link.evaluate((node) => node.textContent)) === XSS.service) {
          await Promise.all([page.waitForNavigation(), link.click()]);
          break;
        }
      }
      await page.waitForSelector('body[data-loaded="1"]');
      assert.equal(await page.$eval('[data-block="pods"] h2', (node) => node.textContent), `Pods of ${XSS.service}`);
      await assertNoInjection(page, events);
      await page.close();
    });

    it('user lookup: the form finds a uid links, persistent or with the time left', async () => {
      const { page, events } = await openTab(browser);
      await openDashboardPage(page, `${base}/users`);
      assert.equal(
        await page.$eval('select[name="namespace"]', (node) => (node as unknown as { value: string }).value),
        XSS.namespace,
      );
      await page.select('select[name="namespace"]', NS);
      await page.type('input[name="uid"]', 'alice');
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      await page.waitForSelector('[data-block="links"]');
      const links = await tableText(page, 'links');
      assert.deepEqual(
        links.map((row) => [row[0], row[1], row[3]]),
        [
          ['chat', '1', 'running'],
          ['game', '0', 'running'],
          ['matchmaker', '0', 'running'],
        ],
      );
      assert.match(links[0][2], /^temporary · \d+ min( \d+ s)? left$/);
      assert.equal(links[1][2], 'persistent');

      await page.$eval('input[name="uid"]', (node) => ((node as unknown as { value: string }).value = ''));
      await page.type('input[name="uid"]', XSS.uid);
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
      await page.waitForSelector('[data-block="links"]');
      assert.equal(await page.$eval('[data-block="links"] h2', (node) => node.textContent), `Links of ${XSS.uid}`);
      assert.deepEqual((await tableText(page, 'links')).map((row) => row[0]).sort(), [XSS.service, 'game'].sort());
      assert.equal(
        await page.$eval('input[name="uid"]', (node) => (node as unknown as { value: string }).value),
        XSS.uid,
      );
      await assertNoInjection(page, events);
      await page.close();
    });

    it('scheduler: tasks with the cron in words, time zones, statuses and failures in a row', async () => {
      const { page, events } = await openTab(browser);
      await openDashboardPage(page, `${base}/scheduler`);
      const tasks = await tableText(page, 'tasks');
      const byName = new Map(tasks.map((row) => [row[0], row]));
      assert.ok(byName.has(XSS.taskName + 'xss-task'), `the XSS task name as text: ${[...byName.keys()].join(' | ')}`);
      const nightly = byName.get('nightly-report')!;
      assert.equal(nightly[1], '0 2 * * *At 02:00 · Europe/Berlin');
      assert.equal(nightly[2], 'enabled');
      assert.match(nightly[3], /^in /);
      assert.equal(nightly[5], 'success');
      assert.equal(byName.get('flaky-sync')![5], 'failed');
      assert.equal(byName.get('flaky-sync')![6], '2 / 5');
      assert.equal(byName.get('legacy-export')![2], 'disabled');
      assert.equal(
        await page.$eval('[data-block="replica"] dd', (node) => node.textContent),
        app.scheduler!.getStats().instanceId,
      );
      await assertNoInjection(page, events);
      await page.close();
    });

    it('task: definition, payload redacted, fire lag chart and the run timeline', async () => {
      const { page, events } = await openTab(browser);
      await openDashboardPage(page, `${base}/task?id=flaky-sync`);
      assert.equal(await page.$eval('#heading', (node) => node.textContent), 'flaky-sync');
      const runs = await tableText(page, 'runs');
      assert.deepEqual(
        runs.map((row) => [row[1], row[2]]),
        [
          ['failed', '2'],
          ['retry', '1'],
          ['failed', '2'],
          ['retry', '1'],
        ],
      );
      assert.ok(
        runs.every((row) => row[6].startsWith(`upstream refused: ${XSS.error} (redis://sync:`)),
        runs[0][6],
      );
      assert.ok(runs.every((row) => !row[6].includes(URL_PASSWORD)));
      assert.equal(
        await page.$$eval('[data-block="lag"] svg rect', (rects) => rects.length),
        2,
        'one bar per fire: retries are left out of the chart',
      );
      assert.deepEqual(
        runs.map((row) => row[4]),
        ['retry', runs[1][4], 'retry', runs[3][4]],
      );

      await openDashboardPage(page, `${base}/task?id=nightly-report`);
      const payload = await page.$eval('[data-block="task"] .wide dd', (node) => node.textContent ?? '');
      assert.match(payload, /"apiKey":"\[redacted: string, 23 chars\]"/);
      assert.ok(!payload.includes(PAYLOAD_SECRET) && !payload.includes(URL_PASSWORD));
      assert.equal((await tableText(page, 'runs')).length, 6);

      await openDashboardPage(page, `${base}/task?id=xss-task`);
      assert.equal(await page.$eval('#heading', (node) => node.textContent), XSS.taskName);
      assert.equal(await page.title(), `${XSS.taskName} · Stateful dashboard`);
      await assertNoInjection(page, events);
      await page.close();
    });

    it('actions from the page: drain a pod, sweep its links (confirmed), trigger, disable, enable a task', async () => {
      const { page, events } = await openTab(browser);
      await openDashboardPage(page, `${base}/routing?namespace=${NS}&service=game`);
      const row = (podId: number) => `[data-block="pods"] tbody tr:nth-child(${podId + 1})`;
      await page.select(`${row(1)} select`, 'draining');
      await page.click(`${row(1)} button[data-action="set-pod-state"]`);
      await waitForText(page, '#toast', 'Pod 1 of game is now draining');
      assert.equal((await app.routing.getServiceState(NS, 'game'))[1], 'draining');
      await waitForText(page, `${row(1)} td:nth-child(2)`, 'draining');

      // Sweep: the first click only arms the button.
      const sweep = `${row(2)} button[data-action="sweep-pod-links"]`;
      await page.click(sweep);
      assert.equal(await page.$eval(sweep, (node) => node.textContent), 'Remove every link to this pod?');
      assert.equal(await app.routing.getLinkedPod(NS, 'carol', 'game'), 2, 'nothing removed yet');
      await page.click(sweep);
      await waitForText(page, '#toast', 'Removed 2 links to pod 2 of game');
      assert.equal(await app.routing.getLinkedPod(NS, 'carol', 'game'), NO_POD);
      assert.equal(await app.routing.getLinkedPod(NS, 'dave', 'game'), NO_POD);

      await openDashboardPage(page, `${base}/scheduler`);
      const task = (id: string) => `[data-block="tasks"] tbody tr:has(a[href="task?id=${id}"])`;
      const runsBefore = (await app.scheduler!.getTask('cache-warmup'))!.runCount;
      await page.click(`${task('cache-warmup')} button[data-action="trigger-task"]`);
      await waitForText(page, '#toast', 'Task cache-warmup triggered');
      await waitForText(page, `${task('cache-warmup')} td:nth-child(8)`, String(runsBefore + 1));
      await page.click(`${task('cache-warmup')} button[data-action="disable-task"]`);
      await page.click(`${task('cache-warmup')} button[data-action="disable-task"]`);
      await waitForText(page, `${task('cache-warmup')} td:nth-child(3)`, 'disabled');
      assert.equal((await app.scheduler!.getTask('cache-warmup'))!.enabled, false);
      await page.click(`${task('cache-warmup')} button[data-action="enable-task"]`);
      await waitForText(page, `${task('cache-warmup')} td:nth-child(3)`, 'enabled');
      assert.equal((await app.scheduler!.getTask('cache-warmup'))!.enabled, true);
      await assertNoInjection(page, events);
      await page.close();
    });

    it('refreshes by itself: a pod reporting elsewhere shows up without a reload', async () => {
      const { page, events } = await openTab(browser);
      await openDashboardPage(page, `${base}/routing?namespace=${NS}&service=chat`);
      const navigations: string[] = [];
      page.on('framenavigated', (frame) => navigations.push(frame.url()));
      await app.routing.setServiceState(NS, 'chat', 7, 'warming-up');
      await waitForText(page, '[data-block="pods"] tbody', 'warming-up', 10_000);
      assert.deepEqual(navigations, [], 'no reload');
      assert.match(await page.$eval('#status', (node) => node.textContent ?? ''), /^Live · updated /);
      await assertNoInjection(page, events);
      await page.close();
    });

    options.more?.(() => ({ server, app, base, browser }));
  });
}
