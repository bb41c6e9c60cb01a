/*
 * Takes the README's screenshots of the dashboard (docs/dashboard-*.png) against seeded data:
 *
 *   npx tsc -p tsconfig.json --outDir .build && node .build/test/dashboard/screenshots.js
 *
 * Starts a private redis-server, two replicas of an app with the dashboard (actions on, as in the sample),
 * seeds a small fleet and a few tasks with run histories, and photographs each page in headless chromium
 * (test/harness/ensure-chromium.sh installs it). The fonts are the machine's: Debian's fonts-inter gives the
 * committed look.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StatefulDashboardModule } from '../../lib';
import { mulberry32 } from '../harness/prng';
import { RedisServer } from '../harness/redis-server';
import { pollUntil } from '../harness/wait';
import { launchBrowser, openDashboardPage, openTab } from './browser';
import { LOCAL, startDashboardApp } from './dashboard-app';
import { NS, registerWorkflows, seedRouting, seedScheduler } from './seed-data';

const DOCS = join(__dirname, '..', '..', '..', 'docs');

const SHOTS: Array<{ file: string; page: string; height: number }> = [
  { file: 'dashboard-routing.png', page: `routing?namespace=${NS}&service=game`, height: 700 },
  { file: 'dashboard-users.png', page: `users?namespace=${NS}&uid=alice`, height: 440 },
  { file: 'dashboard-scheduler.png', page: 'scheduler', height: 560 },
  { file: 'dashboard-task.png', page: 'task?id=session-cleanup', height: 900 },
];

async function main(): Promise<void> {
  mkdirSync(DOCS, { recursive: true });
  const server = await RedisServer.start();
  const allowAll = { canActivate: () => true };
  const dashboard = StatefulDashboardModule.register({
    path: '/ops/dashboard',
    readOnly: false,
    guard: allowAll,
    allowedHosts: LOCAL,
  });
  const [a, b] = await Promise.all(
    ['gateway-a', 'gateway-b'].map((instanceId) =>
      startDashboardApp({
        redisUrl: server.url,
        scheduler: { namespace: 'ops', instanceId },
        dashboardModules: [dashboard],
      }),
    ),
  );
  const browser = await launchBrowser();
  try {
    // A task firing every second on either replica: real fire times and lags, durations that vary, a retry.
    const random = mulberry32(13);
    for (const app of [a, b]) {
      registerWorkflows(app.scheduler!);
      app.scheduler!.registerWorkflow('cleanup', async (run) => {
        await new Promise((resolve) => setTimeout(resolve, 40 + Math.floor(random() * 360)));
        if (run.attempt === 1 && random() < 0.15) throw new Error('ETIMEDOUT: session store did not answer in 250 ms');
      });
    }
    await seedRouting(a.routing, server, false);
    await seedScheduler(a.scheduler!, false);
    await a.scheduler!.addTask({
      id: 'session-cleanup',
      name: 'session-cleanup',
      cron: '* * * * * *',
      workflow: 'cleanup',
      retry: { attempts: 2, backoffMs: 200 },
    });
    await pollUntil('twelve runs of session-cleanup', 30_000, async () => {
      const runs = await a.scheduler!.getRuns('session-cleanup');
      return runs.length >= 12 ? true : `${runs.length} runs`;
    });
    for (const shot of SHOTS) {
      const { page } = await openTab(browser, 1280, shot.height);
      await openDashboardPage(page, `${a.origin}/ops/dashboard/${shot.page}`);
      await page.screenshot({ path: join(DOCS, shot.file), fullPage: true });
      await page.close();
      console.log(`docs/${shot.file}`);
    }
  } finally {
    await browser.close();
    await Promise.all([a.close(), b.close()]);
    await server.dispose();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
