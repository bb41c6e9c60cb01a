// The dashboard's checks in chromium (dashboard-browser-checks.ts) against the tests' own app, and the same
// pages served by Fastify.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openDashboardPage, openTab } from './browser';
import { assertNoInjection, describeDashboardInChromium, tableText } from './dashboard-browser-checks';
import { LOCAL, startDashboardApp } from './dashboard-app';
import { NS } from './seed-data';

const PATH = '/ops/dashboard';

describeDashboardInChromium('dashboard in chromium', {
  path: PATH,
  start: (server) =>
    startDashboardApp({
      redisUrl: server.url,
      dashboard: { path: PATH, readOnly: false, guard: { canActivate: () => true }, allowedHosts: LOCAL },
    }),
  more: (context) => {
    it('is served the same by Fastify', async () => {
      const { server, browser } = context();
      const fastify = await startDashboardApp({ redisUrl: server.url, platform: 'fastify' });
      try {
        const { page, events } = await openTab(browser);
        for (const target of [`routing?namespace=${NS}&service=game`, 'users', 'scheduler', 'task?id=nightly-report']) {
          await openDashboardPage(page, `${fastify.origin}${PATH}/${target}`);
        }
        assert.equal((await tableText(page, 'runs')).length, 6);
        assert.equal(await page.$eval('.mode', (node) => node.textContent), 'read-only');
        assert.equal(await page.$$eval('button[data-action]', (buttons) => buttons.length), 0, 'read-only: no action');
        await assertNoInjection(page, events);
        await page.close();
      } finally {
        await fastify.close();
      }
    });
  },
});
