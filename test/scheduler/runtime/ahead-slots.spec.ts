import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DistributedSchedulerService, TaskRun } from '../../../lib';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { pollUntil, sleep } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

let server: RedisServer;
let app: TestingModule | undefined;

useRedisServer((started) => (server = started));
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Handlers in flight now, and the most seen at once. */
const concurrency = { now: 0, most: 0 };

async function start(maxConcurrent: number, lookAheadMs: number): Promise<DistributedSchedulerService> {
  const started = await startSchedulerApp({
    redis: { redis: server.url },
    scheduler: { namespace: 'ahead-slots', maxConcurrent, lookAheadMs, pollIntervalMs: 200 },
  });
  app = started.app;
  return started.scheduler;
}

/** Registers `workflow`, whose handler takes `workMs`, and adds `count` tasks of it firing every second. */
async function everySecondTasks(
  scheduler: DistributedSchedulerService,
  count: number,
  workMs: number,
): Promise<string[]> {
  concurrency.now = 0;
  concurrency.most = 0;
  scheduler.registerWorkflow('work', async () => {
    concurrency.most = Math.max(concurrency.most, ++concurrency.now);
    await sleep(workMs);
    concurrency.now--;
  });
  const ids = Array.from({ length: count }, (_, i) => `task-${i}`);
  for (const id of ids) await scheduler.addTask({ id, name: id, cron: '* * * * * *', workflow: 'work' });
  return ids;
}

/** Each task's runs recorded with a fire time in [from, until), by task. */
async function runsOfWindow(
  scheduler: DistributedSchedulerService,
  ids: string[],
  from: number,
  until: number,
): Promise<Map<string, TaskRun[]>> {
  const byTask = new Map<string, TaskRun[]>();
  for (const id of ids) {
    const runs = await scheduler.getRuns(id);
    byTask.set(
      id,
      runs.filter((run) => run.scheduledAt.getTime() >= from && run.scheduledAt.getTime() < until),
    );
  }
  return byTask;
}

describe('runs claimed ahead take a slot only at their time', () => {
  it('a second of more fires than slots is claimed ahead and started at its time, never more handlers than slots', async () => {
    const scheduler = await start(2, 800);
    const ids = await everySecondTasks(scheduler, 8, 20);
    const from = Math.ceil(Date.now() / 1_000) * 1_000 + 2_000;
    const until = from + 3_000;
    await sleep(until - Date.now() + 1_500);
    const byTask = await runsOfWindow(scheduler, ids, from, until);
    for (const [id, runs] of byTask) {
      const fires = runs.map((run) => run.scheduledAt.getTime());
      assert.deepEqual(
        [...new Set(fires)].sort(),
        [from, from + 1_000, from + 2_000],
        `${id}: one run per fire (${runs.map((run) => `${run.scheduledAt.toISOString()} ${run.status}`).join(', ')})`,
      );
      assert.equal(fires.length, 3, `${id}: no fire twice`);
      for (const run of runs) assert.equal(run.status, 'success');
    }
    // Started at their time in Redis (claimed ahead and confirmed before it), more of them than slots.
    const onTime = [...byTask.values()].flat().filter((run) => run.startedAt?.getTime() === run.scheduledAt.getTime());
    const perFire = Math.max(
      ...[from, from + 1_000, from + 2_000].map(
        (fire) => onTime.filter((run) => run.scheduledAt.getTime() === fire).length,
      ),
    );
    assert.ok(perFire > 2, `at most ${perFire} run(s) of one fire time were claimed ahead (2 slots)`);
    assert.ok(concurrency.most <= 2, `${concurrency.most} handlers ran at once with maxConcurrent 2`);
  });

  it('runs whose time comes while every slot is busy wait, then are given back and run once a slot frees', async () => {
    // Handlers of 300 ms, one slot, a wait of at most 100 ms (the look-ahead): at each second, the runs beyond the
    // first are given back (the same attempt, due again at once) and claimed again as the slot frees.
    const scheduler = await start(1, 100);
    const ids = await everySecondTasks(scheduler, 2, 300);
    const from = Math.ceil(Date.now() / 1_000) * 1_000 + 2_000;
    const until = from + 2_000;
    await pollUntil('the window to be over and run', 15_000, async () => {
      const byTask = await runsOfWindow(scheduler, ids, from, until);
      const done = [...byTask.values()].flat().filter((run) => run.status === 'success').length;
      return done >= ids.length * 2 ? true : `${done} runs so far`;
    });
    const byTask = await runsOfWindow(scheduler, ids, from, until);
    for (const [id, runs] of byTask) {
      assert.deepEqual(
        runs.map((run) => `${run.scheduledAt.getTime() - from} ${run.status} ${run.attempt}`).sort(),
        ['0 success 1', '1000 success 1'],
        `${id}: each fire ran once, a first attempt (a run given back used none)`,
      );
    }
    assert.equal(concurrency.most, 1, 'never two handlers with one slot');
  });
});
