import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistributedSchedulerService, ScheduledRunContext, TaskRun } from '../../../lib';
import { START_WINDOW_MS } from '../../../lib/scheduler/store/start-window';
import { pollUntil, sleep } from '../../harness/wait';
import { startSchedulerApp, useServerWithAppPerTest } from './scheduler-app';

const fixture = useServerWithAppPerTest();

/** Handlers in flight now, and the most seen at once. */
const concurrency = { now: 0, most: 0 };

async function start(
  maxConcurrent: number,
  lookAheadMs: number,
  namespace = 'ahead-slots',
): Promise<DistributedSchedulerService> {
  const started = await startSchedulerApp({
    redis: { redis: fixture.server.url },
    scheduler: { namespace, maxConcurrent, lookAheadMs, pollIntervalMs: 100 },
  });
  fixture.app = started.app;
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
  it('a second of more fires than slots is claimed ahead, every fire runs once, never more handlers than slots', async () => {
    const scheduler = await start(2, 800);
    const ids = await everySecondTasks(scheduler, 8, 20);
    const from = Math.ceil(Date.now() / 1_000) * 1_000 + 2_000;
    const until = from + 3_000;
    // The runs claimed ahead of one fire time, seen in Redis: more than the 2 slots.
    const raw = new Redis(fixture.server.port, fixture.server.host);
    let mostAhead = 0;
    try {
      // The runs hash exists only while a run does: looked for until one is claimed.
      let runsKey: string | undefined;
      while (Date.now() < until) {
        runsKey ??= (await raw.keys('*ahead-slots*:runs'))[0];
        const runs = Object.values(runsKey === undefined ? {} : await raw.hgetall(runsKey)).map(
          (json) => JSON.parse(json) as { ahead: boolean; startedAt: number },
        );
        const byStart = new Map<number, number>();
        for (const run of runs.filter((entry) => entry.ahead))
          byStart.set(run.startedAt, (byStart.get(run.startedAt) ?? 0) + 1);
        mostAhead = Math.max(mostAhead, ...byStart.values());
        await sleep(20);
      }
    } finally {
      raw.disconnect();
    }
    assert.ok(mostAhead > 2, `at most ${mostAhead} run(s) of one fire time were claimed ahead (2 slots)`);
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

  for (const [change, apply] of [
    [
      'updateTask',
      (scheduler: DistributedSchedulerService, id: string) => scheduler.updateTask(id, { payload: { v: 2 } }),
    ],
    ['disableTask', (scheduler: DistributedSchedulerService, id: string) => scheduler.disableTask(id)],
    ['removeTask', (scheduler: DistributedSchedulerService, id: string) => scheduler.removeTask(id)],
  ] as const) {
    it(`${change} after a confirmation: no run of the old definition waits for a slot and starts long after it returned`, async () => {
      // One slot, two tasks due at the same instant, handlers of 1.5 s: both runs are confirmed ahead; the one
      // that waits at the slot gate past its start window asks Redis again, which gives it back (review of issue 17:
      // it waited at the slot gate confirmed, and its handler started 1.5 s after the change returned).
      const scheduler = await start(1, 3_000, `gate-${change}`);
      const starts: Array<{ taskId: string; payload: unknown; at: number }> = [];
      scheduler.registerWorkflow('slow', async (run: ScheduledRunContext) => {
        starts.push({ taskId: run.taskId, payload: run.payload, at: Date.now() });
        await sleep(1_500);
      });
      for (const id of ['a', 'b'])
        await scheduler.addTask({ id, name: id, cron: '*/5 * * * * *', workflow: 'slow', payload: { v: 1 } });
      const raw = new Redis(fixture.server.port, fixture.server.host);
      try {
        const [stateKey] = await raw.keys(`*gate-${change}*:state`);
        // Wait for a confirmation ahead of a fire (its 100 ms before it: read without pause), then change both tasks.
        let confirmedFor = 0;
        for (const giveUpAt = Date.now() + 15_000; confirmedFor === 0 && Date.now() < giveUpAt;) {
          const states = (await raw.hmget(stateKey, 'a', 'b')).map(
            (json) => JSON.parse(json ?? '{}') as { startsBy?: number },
          );
          const [seconds, micros] = await raw.time();
          const now = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
          const startsAt = Math.max(...states.map((state) => Number(state.startsBy ?? 0))) - START_WINDOW_MS;
          if (startsAt > now) confirmedFor = startsAt;
        }
        assert.ok(confirmedFor > 0, 'no start confirmed ahead seen in 15 s');
        await Promise.all(['a', 'b'].map((id) => apply(scheduler, id)));
        const returnedAt = Date.now();
        await sleep(confirmedFor - Date.now() + 4_000);
        const late = starts.filter((start) => start.at > returnedAt + 300 && (start.payload as { v: number }).v === 1);
        assert.deepEqual(late, [], 'handlers of the old definition started after the change returned');
      } finally {
        raw.disconnect();
      }
    });
  }
});
