import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { DistributedSchedulerService, DistributedScheduleModuleOptions } from '../../../lib';
import { ReplyDroppingProxy } from '../../harness/reply-dropping-proxy';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { pollUntil, sleep } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

/*
 * A claim ran in Redis, but its replica did not learn of it in time:
 * - its reply was lost (the connection reset under it): the replica never starts the runs it claimed, while Redis
 *   holds them as running until their leases expire — a whole lease (30 s here) of fires skipped under overlap
 *   `skip`. The replica's next look gives them back (no attempt used, nothing recorded): the task goes on firing.
 * - its reply came after the lease had expired (a paused process, a congested network): another replica has
 *   recorded the run lost and retried it meanwhile, so the late replica must not start it too. A reply that came
 *   late is confirmed in Redis (lease still held?) before the handler starts.
 */

interface HandlerStart {
  replica: string;
  scheduledAt: number;
  attempt: number;
}

let server: RedisServer;
useRedisServer((started) => (server = started));

const apps: TestingModule[] = [];
let proxy: ReplyDroppingProxy | undefined;
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await proxy?.close();
  proxy = undefined;
});

const starts: HandlerStart[] = [];
afterEach(() => void (starts.length = 0));

/** A replica running the `tick` workflow, through the proxy or straight to Redis. */
async function replica(
  name: string,
  scheduler: DistributedScheduleModuleOptions,
  via: 'proxy' | 'direct',
  commandTimeoutMs = 1_000,
): Promise<DistributedSchedulerService> {
  const port = via === 'proxy' ? (proxy as ReplyDroppingProxy).port : server.port;
  const started = await startSchedulerApp({
    redis: { redis: `redis://127.0.0.1:${port}`, metrics: false, commandTimeoutMs },
    scheduler: { pollIntervalMs: 200, ...scheduler },
  });
  apps.push(started.app);
  started.scheduler.registerWorkflow('tick', (run) => {
    starts.push({ replica: name, scheduledAt: run.scheduledAt.getTime(), attempt: run.attempt });
  });
  return started.scheduler;
}

/** Waits for a recorded success: the next command naming the task is then the claim of its next fire. */
async function firstSuccess(scheduler: DistributedSchedulerService, taskId: string): Promise<void> {
  await pollUntil('a first recorded run', 10_000, async () =>
    (await scheduler.getRuns(taskId)).some((run) => run.status === 'success') ? true : 'none yet',
  );
}

for (const lookAheadMs of [500, 0]) {
  const mode = lookAheadMs > 0 ? 'claimed ahead' : 'claimed when due';
  describe(`a claim whose reply was lost (${mode})`, () => {
    it('is given back by the next look: the task goes on firing long before the lease would expire', async () => {
      const leaseMs = 30_000;
      proxy = await ReplyDroppingProxy.start(server.port);
      const namespace = `lost-claim-${lookAheadMs}`;
      const scheduler = await replica('a', { namespace, lookAheadMs, leaseMs }, 'proxy');
      const taskId = `orphan-${lookAheadMs}`;
      await scheduler.addTask({ id: taskId, name: 'orphan', cron: '* * * * * *', workflow: 'tick', overlap: 'skip' });
      await firstSuccess(scheduler, taskId);
      const armedAt = Date.now();
      proxy.arm(taskId);
      await pollUntil('the claim to lose its reply', 5_000, async () => (proxy?.dropped === 1 ? true : 'not yet'));
      const droppedAt = Date.now();
      const startsBefore = starts.length;
      await pollUntil(`a run started after the lost claim (lease ${leaseMs} ms)`, 8_000, async () =>
        starts.length > startsBefore + 1 ? true : `${starts.length - startsBefore} so far`,
      );

      const recorded = (await scheduler.getRuns(taskId, 100)).filter(
        (run) => run.scheduledAt.getTime() >= armedAt - 1_000,
      );
      assert.deepEqual(
        recorded.filter((run) => run.status === 'lost'),
        [],
        'a run whose handler never started is not recorded lost',
      );
      const fires = starts.map((run) => `${run.scheduledAt}#${run.attempt}`);
      assert.equal(new Set(fires).size, fires.length, `a fire ran twice: ${fires.join(', ')}`);
      assert.ok(Date.now() - droppedAt < leaseMs / 2, 'well within the lease');
    });
  });
}

describe('a claim whose reply came after its lease expired (claimed when due)', () => {
  it('is not started by the late replica: the run was recorded lost and retried by another one', async () => {
    const leaseMs = 1_000;
    const options = { namespace: 'late-claim', lookAheadMs: 0, leaseMs };
    proxy = await ReplyDroppingProxy.start(server.port);
    // Its calls wait longer than the lease: the claim's late reply is taken, not timed out.
    const late = await replica('late', options, 'proxy', 10_000);
    const taskId = 'late-reply';
    await late.addTask({ id: taskId, name: 'late', cron: '*/2 * * * * *', workflow: 'tick', overlap: 'skip' });
    await firstSuccess(late, taskId);
    proxy.delay(taskId, 3 * leaseMs);
    await pollUntil('the claim to be sent', 5_000, async () => (proxy?.delayed === 1 ? true : 'not yet'));
    // Another replica comes up: it reaps the claim's run once its lease expires, and retries it.
    const other = await replica('other', options, 'direct');
    const lost = await pollUntil('the claimed run to be recorded lost', 10_000, async () => {
      const runs = await other.getRuns(taskId, 50);
      return runs.find((run) => run.status === 'lost') ?? 'not yet';
    });
    // The late reply has come by now, and whatever it started has started.
    await sleep(3 * leaseMs);

    const fire = lost.scheduledAt.getTime();
    const ofFire = starts.filter((start) => start.scheduledAt === fire);
    assert.deepEqual(
      ofFire.filter((start) => start.attempt === lost.attempt),
      [],
      `the attempt recorded lost was started by the replica whose claim reply came late: ${JSON.stringify(ofFire)}`,
    );
    assert.ok(
      ofFire.some((start) => start.replica === 'other' && start.attempt === lost.attempt + 1),
      `the other replica retried it: ${JSON.stringify(starts)}`,
    );
  });
});
