import { Injectable } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  DistributedCron,
  DistributedSchedulerService,
  ScheduledRunContext,
  ScheduledWorkflow,
  TaskRun,
} from '../../../lib';
import { CapturingLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { pollUntil, sleep } from '../../harness/wait';
import { execFileSync } from 'node:child_process';
import { schedulerKeys } from '../../../lib/scheduler/store/scheduler-keys';
import { startSchedulerApp } from './scheduler-app';
import { SCHEDULER_SCRIPTS } from '../../../lib/scheduler/store/scheduler-script-names';

/** What a handler saw as it started: its fire time and Redis TIME (ms) read at once. */
const seen: Array<{ scheduledAt: number; redisNow: number }> = [];

let server: RedisServer;
let raw: Redis;
let app: TestingModule | undefined;

async function redisNow(): Promise<number> {
  const [seconds, micros] = await raw.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

@Injectable()
class EverySecond {
  @DistributedCron('* * * * * *', { name: 'ahead' })
  async tick(run: ScheduledRunContext): Promise<void> {
    seen.push({ scheduledAt: run.scheduledAt.getTime(), redisNow: await redisNow() });
  }
}

/** Handler starts of the `once` workflow (a task added at run time, due once), with the payload they saw. */
const onceStarts: Array<{ at: number; payload: unknown }> = [];

@Injectable()
class OnceWorkflow {
  @ScheduledWorkflow('once')
  run(run: ScheduledRunContext): void {
    onceStarts.push({ at: Date.now(), payload: run.payload });
  }
}

useRedisServer((started) => {
  server = started;
  raw = new Redis(server.port, server.host);
  raw.on('error', () => undefined); // one test stops the server
});
after(() => raw?.disconnect());
afterEach(async () => {
  await app?.close();
  app = undefined;
  seen.length = 0;
  onceStarts.length = 0;
});

async function start(
  lookAheadMs: number,
  providers: unknown[] = [EverySecond],
  logger?: CapturingLogger,
): Promise<DistributedSchedulerService> {
  const started = await startSchedulerApp({
    redis: { redis: server.url },
    scheduler: { namespace: 'ahead', lookAheadMs, pollIntervalMs: 200 },
    providers: providers as never[],
    logger,
  });
  app = started.app;
  return started.scheduler;
}

function successes(scheduler: DistributedSchedulerService, count: number): Promise<TaskRun[]> {
  return pollUntil(`${count} successful runs`, 8_000, async () => {
    const runs = (await scheduler.getRuns('ahead')).filter((run) => run.status === 'success');
    return runs.length >= count ? runs : `${runs.length} so far`;
  });
}

/** Adds the task `once`, due once about 2.5 s from now, and waits until a replica has claimed it ahead; its time. */
async function claimOnceAhead(scheduler: DistributedSchedulerService): Promise<number> {
  const fireAt = Math.ceil(((await redisNow()) + 2_500) / 1_000) * 1_000;
  const date = new Date(fireAt);
  await scheduler.addTask({
    id: 'once',
    name: 'once',
    cron: `${date.getUTCSeconds()} ${date.getUTCMinutes()} ${date.getUTCHours()} ${date.getUTCDate()} ${date.getUTCMonth() + 1} *`,
    workflow: 'once',
  });
  await pollUntil('claimed ahead', 2_000, async () => {
    const runs = await scheduler.getRuns('once');
    return runs.some((run) => run.status === 'running') ? true : 'not yet';
  });
  assert.ok((await redisNow()) < fireAt - 300, 'claimed well before its time');
  return fireAt;
}

describe('claim ahead (lookAheadMs)', () => {
  it('a fire claimed ahead starts at its time, not before; its recorded start is the one Redis confirmed', async () => {
    const scheduler = await start(900);
    const runs = await successes(scheduler, 3);
    for (const run of runs) {
      const late = (run.startedAt as Date).getTime() - run.scheduledAt.getTime();
      assert.ok(late >= 0 && late < 1_000, `claimed ahead: recorded start ${late} ms after its fire time`);
    }
    assert.ok(seen.length >= 3);
    for (const start of seen) {
      assert.ok(
        start.redisNow >= start.scheduledAt,
        `the handler of ${start.scheduledAt} ran at Redis ${start.redisNow}: ${start.scheduledAt - start.redisNow} ms early`,
      );
    }
  });

  it('lookAheadMs 0: a fire is claimed once due, never ahead', async () => {
    const scheduler = await start(0);
    const runs = await successes(scheduler, 2);
    for (const run of runs) assert.ok((run.startedAt as Date).getTime() >= run.scheduledAt.getTime());
    for (const start of seen) assert.ok(start.redisNow >= start.scheduledAt);
  });

  it('a fire claimed ahead does not start when Redis is unreachable at its time (fail closed)', async () => {
    const logger = new CapturingLogger();
    const scheduler = await start(5_000, [OnceWorkflow], logger);
    const fireAt = await claimOnceAhead(scheduler);
    await server.stop();
    try {
      await sleep(fireAt - Date.now() + 700);
      assert.deepEqual(onceStarts, [], 'no handler starts while Redis is down');
      assert.equal(logger.find('warn', /claimed ahead not started: Redis is unreachable/).length, 1);
    } finally {
      await server.start();
    }
  });

  const changes = {
    removeTask: (scheduler: DistributedSchedulerService) => scheduler.removeTask('once'),
    disableTask: (scheduler: DistributedSchedulerService) => scheduler.disableTask('once'),
    'updateTask({ enabled: false })': (scheduler: DistributedSchedulerService) =>
      scheduler.updateTask('once', { enabled: false }),
    'updateTask({ cron })': (scheduler: DistributedSchedulerService) =>
      scheduler.updateTask('once', { cron: '0 0 1 1 *' }),
    'upsertTask with another cron': (scheduler: DistributedSchedulerService) =>
      scheduler.upsertTask({ id: 'once', name: 'once', cron: '0 0 1 1 *', workflow: 'once' }),
  };
  for (const [change, apply] of Object.entries(changes)) {
    it(`a fire claimed ahead does not start when the task is changed by ${change} before its time`, async () => {
      const logger = new CapturingLogger();
      const scheduler = await start(5_000, [OnceWorkflow], logger);
      const fireAt = await claimOnceAhead(scheduler);
      await apply(scheduler);
      await sleep(fireAt - Date.now() + 700);
      assert.deepEqual(onceStarts, [], `the handler started after ${change}`);
      assert.equal(
        logger.find('log', /claimed ahead not started: its task was removed, disabled or changed/).length,
        1,
      );
      // Nothing left holding a lease: the run was cancelled in Redis.
      assert.equal(await raw.zcard('sf:{ahead:sched}:leases'), 0);
      if (change === 'disableTask') assert.equal((await scheduler.getTask('once'))?.enabled, false);
    });
  }

  it('a fire claimed ahead whose payload is updated before its time runs once, with the new payload', async () => {
    const scheduler = await start(5_000, [OnceWorkflow]);
    const fireAt = await claimOnceAhead(scheduler);
    await scheduler.updateTask('once', { payload: { v: 2 } });
    await sleep(fireAt - Date.now() + 1_000);
    assert.deepEqual(
      onceStarts.map((start) => start.payload),
      [{ v: 2 }],
      'the fire ran once, never with the old payload',
    );
  });

  it('upsertTask of the same definition leaves a fire claimed ahead alone; a changed payload runs it once, new', async () => {
    const scheduler = await start(5_000, [OnceWorkflow]);
    const fireAt = await claimOnceAhead(scheduler);
    const { cron } = (await scheduler.getTask('once'))!;
    const same = await scheduler.upsertTask({ id: 'once', name: 'once', cron, workflow: 'once' });
    assert.equal(same.version, 1, 'unchanged: nothing written');
    const changed = await scheduler.upsertTask({ id: 'once', name: 'once', cron, workflow: 'once', payload: { v: 2 } });
    assert.equal(changed.version, 2);
    await sleep(fireAt - Date.now() + 1_000);
    assert.deepEqual(
      onceStarts.map((start) => start.payload),
      [{ v: 2 }],
      'the fire ran once, never with the old definition',
    );
  });

  it('a replica stopping before the time of a fire it claimed ahead gives it back: another runs it, same attempt', async () => {
    const scheduler = await start(5_000, [OnceWorkflow]);
    const fireAt = await claimOnceAhead(scheduler);
    await app!.close();
    app = undefined;
    assert.ok(Date.now() < fireAt, 'the stop did not wait for the fire claimed ahead');
    assert.deepEqual(onceStarts, [], 'its handler did not start during the stop');
    const next = await start(0, [OnceWorkflow]);
    const [run] = await pollUntil('the fire runs on the other replica', 8_000, async () => {
      const runs = (await next.getRuns('once')).filter((entry) => entry.status === 'success');
      return runs.length > 0 ? runs : 'not yet';
    });
    assert.deepEqual([run.scheduledAt.getTime(), run.attempt], [fireAt, 1]);
    assert.ok((run.startedAt as Date).getTime() >= fireAt, 'not before its time');
    assert.equal(onceStarts.length, 1);
  });

  it('a change lost in a pub/sub reconnect does not let a fire claimed ahead start after removeTask', async () => {
    const scheduler = await start(5_000, [OnceWorkflow]);
    const fireAt = await claimOnceAhead(scheduler);
    // The subscriber's connection drops: ioredis resubscribes, the `removed` message is published meanwhile.
    assert.ok(Number(await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub')) >= 1);
    await scheduler.removeTask('once');
    await sleep(fireAt - Date.now() + 700);
    assert.deepEqual(onceStarts, [], 'the handler started after removeTask');
  });

  it("a busy event loop that runs the start timer before it reads the change does not start the removed task's fire", async () => {
    await start(5_000, [OnceWorkflow]);
    const scheduler = app!.get(DistributedSchedulerService);
    const fireAt = await claimOnceAhead(scheduler);
    // Blocked from before the removal (made by another client) until after the fire time.
    const removal = SCHEDULER_SCRIPTS.schedulerRemoveTask;
    const keys = schedulerKeys('sf:{ahead:sched}', ['once']);
    execFileSync('redis-cli', [
      '-p',
      String(server.port),
      'EVAL',
      removal.source,
      String(keys.length),
      ...keys,
      'once',
      'PUBLISH',
    ]);
    while (Date.now() < fireAt + 300) {
      // busy: neither the timer nor the change message is handled until this ends
    }
    await sleep(700);
    assert.deepEqual(onceStarts, [], 'the handler started after the removal');
    assert.equal(await scheduler.getTask('once'), null);
  });
});
