// The dashboard's checks in chromium (test/dashboard/dashboard-browser-checks.ts) inside the sample gateway, as its
// users run it: its real global ValidationPipe (whitelist, forbidNonWhitelisted, transform), StatefulErrorFilter,
// the dashboard at /ops behind LocalOperatorGuard (a browser on this machine gets in, actions on), against the
// built package (`nestjs-stateful-redis` resolves to dist/: run `npm run build` first).
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DistributedSchedulerService, StatefulExecutorService } from 'nestjs-stateful-redis';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type * as Lib from '../../lib';
import { AppModule } from '../../sample/src/app.module';
import { setUpApp } from '../../sample/src/app.setup';
import { openTab } from '../dashboard/browser';
import { describeDashboardInChromium } from '../dashboard/dashboard-browser-checks';
import { freePort } from '../harness/free-port';

/**
 * The sample's settings for the seeded fleet (environment variables, as its .env would set them): pods count as
 * live for 60 s, as in the tests' own app, and pod 3 of game, silent for 10 minutes, is shown, not swept.
 */
const SETTINGS: Record<string, string> = { POD_LIVENESS_TIMEOUT_MS: '60000', POD_SWEEP_AFTER_MS: '3600000' };

describeDashboardInChromium('sample gateway: dashboard in chromium', {
  path: '/ops',
  start: async (server) => {
    Object.assign(process.env, SETTINGS, { REDIS_URL: server.url });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app: INestApplication = setUpApp(moduleRef.createNestApplication({ logger: false }));
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    return {
      app,
      origin: `http://127.0.0.1:${port}`,
      // The sample's services are the package's (dist/), the checks name lib's: the same classes, built twice.
      routing: app.get<unknown, Lib.StatefulExecutorService>(StatefulExecutorService),
      scheduler: app.get<unknown, Lib.DistributedSchedulerService>(DistributedSchedulerService),
      close: async () => {
        await app.close();
        for (const name of [...Object.keys(SETTINGS), 'REDIS_URL']) delete process.env[name];
      },
    };
  },
  more: (context) => {
    it("refuses a page relayed by a proxy (the sample's guard): its script never asks for data", async () => {
      const { browser, base } = context();
      const { page } = await openTab(browser);
      const requests: string[] = [];
      page.on('request', (request) => requests.push(new URL(request.url()).pathname));
      await page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.9' });
      const answer = await page.goto(`${base}/scheduler`, { waitUntil: 'domcontentloaded' });
      assert.equal(answer?.status(), 403);
      assert.deepEqual(
        requests.filter((path) => path.startsWith('/ops/')),
        ['/ops/scheduler'],
      );
      await page.close();
    });
  },
});
