import type { DistributedSchedulerService, StatefulExecutorService } from '../../lib';
import type { RedisServer } from '../harness/redis-server';
import { pollUntil } from '../harness/wait';

/** Strings that would run script if a page put them into HTML as markup. */
export const XSS = {
  service: '<img src=x onerror=alert(1)>',
  uid: '"><img src=x onerror=alert(2)>',
  namespace: '"><svg/onload=alert(3)>',
  taskName: '<img src=x onerror=alert(4)> \'quoted\' "double" ünïcødé ✓',
  error: '<script>alert(5)</script>',
} as const;

/** The namespace and services seeded. */
export const NS = 'demo';

/** A secret in a task payload: never shown. */
export const PAYLOAD_SECRET = 'sk-live-do-not-show-123';
export const URL_PASSWORD = 'hunter2-url-password';

/** Pods, weights, liveness, workload states and links of a small fleet; with `xss`, XSS strings in names too. */
export async function seedRouting(routing: StatefulExecutorService, server: RedisServer, xss = true): Promise<void> {
  const pods: Array<[string, number, string, number]> = [
    ['game', 0, 'running', 12],
    ['game', 1, 'running', 9],
    ['game', 2, 'draining', 3],
    ['game', 3, 'stopped', 0],
    ['chat', 0, 'running', 40],
    ['chat', 1, 'running', 38],
    ['matchmaker', 0, 'running', 5],
    ...(xss ? [[XSS.service, 0, 'running', 1] as [string, number, string, number]] : []),
  ];
  for (const [service, podId, state, weight] of pods) {
    await routing.setServiceState(NS, service, podId, state);
    await routing.setPodWeight(NS, service, podId, weight);
  }
  // Pod 3 of game last reported 10 minutes ago: past podLiveness.timeoutMs, it shows as silent.
  const seen = await server.cli('TIME');
  const nowMs = Number(seen.split('\n')[0]) * 1000;
  await server.cli('HSET', `sf:{${NS}:state:game}seen`, '3', String(nowMs - 600_000));
  // A pod of another implementation (a Java pod: a state, no liveness report) and a pod with a weight only.
  await server.cli('HSET', `sf:{${NS}:state:legacy}`, '0', 'running');
  await routing.setPodWeight(NS, 'legacy', 1, 4);
  await routing.setWorkloadState(NS, 'game', 'rolling-update');
  await routing.setWorkloadState(NS, 'chat', 'stable');
  await routing.setLinkedPod(NS, 'alice', 'game', 0, -1);
  await routing.setLinkedPod(NS, 'alice', 'chat', 1, 300);
  await routing.setLinkedPod(NS, 'bob', 'game', 1, -1);
  await routing.setLinkedPod(NS, 'carol', 'game', 2, -1);
  await routing.setLinkedPod(NS, 'dave', 'game', 2, 120);
  await routing.setLinkedPod(NS, 'alice', 'matchmaker', 0, -1);
  if (!xss) return;
  await routing.setLinkedPod(NS, XSS.uid, 'game', 0, -1);
  await routing.setLinkedPod(NS, XSS.uid, XSS.service, 0, -1);
  await routing.setServiceState(XSS.namespace, 'lobby', 0, 'running');
}

/** The workflow of the seeded tasks: waits `payload.ms`, then fails when `payload.fail` is set. */
export function registerWorkflows(scheduler: DistributedSchedulerService): void {
  scheduler.registerWorkflow<{ ms?: number; fail?: boolean }>('work', async (run) => {
    await new Promise((resolve) => setTimeout(resolve, run.payload?.ms ?? 5));
    if (run.payload?.fail) throw new Error(`upstream refused: ${XSS.error} (redis://sync:${URL_PASSWORD}@db:6379)`);
  });
}

async function triggerAndWait(scheduler: DistributedSchedulerService, id: string, runs: number): Promise<void> {
  await scheduler.triggerTask(id);
  await pollUntil(
    `${id} to have ${runs} finished runs`,
    10_000,
    async () => {
      const finished = (await scheduler.getRuns(id)).filter(
        (run) => run.status !== 'running' && run.status !== 'pending',
      );
      return finished.length >= runs ? true : `${finished.length} finished`;
    },
    20,
  );
}

/** Tasks with histories: successes of varied durations, retried failures, a disabled task; with `xss`, an XSS name. */
export async function seedScheduler(scheduler: DistributedSchedulerService, xss = true): Promise<void> {
  await scheduler.addTask({
    id: 'nightly-report',
    name: 'nightly-report',
    cron: '0 2 * * *',
    timeZone: 'Europe/Berlin',
    workflow: 'work',
    payload: { table: 'users', apiKey: PAYLOAD_SECRET, target: `redis://report:${URL_PASSWORD}@db:6379`, ms: 30 },
  });
  await scheduler.addTask({ id: 'cache-warmup', name: 'cache-warmup', cron: '*/15 * * * *', workflow: 'work' });
  await scheduler.addTask({
    id: 'flaky-sync',
    name: 'flaky-sync',
    cron: '0 */6 * * *',
    timeZone: 'America/New_York',
    workflow: 'work',
    payload: { fail: true },
    retry: { attempts: 2, backoffMs: 50 },
    maxConsecutiveFailures: 5,
  });
  if (xss)
    await scheduler.addTask({
      id: 'xss-task',
      name: XSS.taskName,
      cron: '30 4 * * 1-5',
      workflow: 'work',
      payload: { note: XSS.error },
    });
  await scheduler.addTask({
    id: 'legacy-export',
    name: 'legacy-export',
    cron: '0 3 1 * *',
    workflow: 'work',
    enabled: false,
  });
  for (let run = 1; run <= 6; run++) {
    await scheduler.updateTask('nightly-report', {
      payload: {
        table: 'users',
        apiKey: PAYLOAD_SECRET,
        target: `redis://report:${URL_PASSWORD}@db:6379`,
        ms: 10 + 15 * run,
      },
    });
    await triggerAndWait(scheduler, 'nightly-report', run);
  }
  await triggerAndWait(scheduler, 'cache-warmup', 1);
  await triggerAndWait(scheduler, 'flaky-sync', 2);
  await triggerAndWait(scheduler, 'flaky-sync', 4);
  if (xss) await triggerAndWait(scheduler, 'xss-task', 1);
}
