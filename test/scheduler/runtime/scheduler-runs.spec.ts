import { Injectable } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import {
  DistributedCron,
  DistributedSchedulerHealthIndicator,
  DistributedSchedulerService,
  ScheduledRunContext,
  ScheduledWorkflow,
  TaskRun,
} from '../../../lib';
import { CapturingLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { pollUntil, sleep } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

const NAMESPACE = 'runs';

/** A task's history entries as Redis holds them (`B:history`: `<id>}<sequence>}<json>`), newest first. */
async function storedHistory(taskId: string): Promise<Array<{ status: string; error: string | null }>> {
  const members = await raw.zrevrangebylex(`sf:{${NAMESPACE}:sched}:history`, `(${taskId}~`, `[${taskId}}`);
  return members.map(
    (member) => JSON.parse(member.slice(taskId.length + 14)) as { status: string; error: string | null },
  );
}
const calls: ScheduledRunContext[] = [];

@Injectable()
class EverySecondTask {
  @DistributedCron('* * * * * *', { name: 'every-second' })
  tick(run: ScheduledRunContext): void {
    calls.push(run);
  }
}

@Injectable()
class DailyTask {
  @DistributedCron('0 3 * * *', { name: 'daily' })
  run(): void {}
}

@Injectable()
class ChangedDailyTask {
  @DistributedCron('0 4 * * *', { name: 'daily' })
  run(): void {}
}

@Injectable()
class FailingDecoratedTask {
  @DistributedCron('* * * * * *', { name: 'fragile', retry: { attempts: 1 }, maxConsecutiveFailures: 1 })
  run(): void {
    throw new Error('always fails');
  }
}

@Injectable()
class ExportWorkflow {
  @ScheduledWorkflow('export-table')
  exportTable(run: ScheduledRunContext<{ table: string }>): void {
    calls.push(run);
  }
}

let server: RedisServer;
let raw: Redis;
let app: TestingModule | undefined;

useRedisServer((started) => {
  server = started;
  raw = new Redis(server.port, server.host);
  raw.on('error', () => undefined); // the health test stops the server
});
after(() => raw?.disconnect());
beforeEach(() => {
  calls.length = 0;
});
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(
  providers: unknown[],
  scheduler: Record<string, unknown> = {},
  logger?: CapturingLogger,
  redis: Record<string, unknown> = {},
) {
  const started = await startSchedulerApp({
    redis: { redis: server.url, ...redis },
    scheduler: { namespace: NAMESPACE, ...scheduler },
    providers: providers as never[],
    logger,
  });
  app = started.app;
  return started.scheduler;
}

function runsWith(
  scheduler: DistributedSchedulerService,
  id: string,
  status: TaskRun['status'],
  count = 1,
): Promise<TaskRun[]> {
  return pollUntil(`${count} ${status} run(s) of ${id}`, 8_000, async () => {
    const runs = await scheduler.getRuns(id);
    return runs.filter((run) => run.status === status).length >= count
      ? runs
      : `runs: ${JSON.stringify(runs.map((run) => run.status))}`;
  });
}

describe('a replica runs its tasks', () => {
  it('a decorated task is upserted at startup, fires, and its run is in getRuns with the context it was given', async () => {
    const scheduler = await start([EverySecondTask]);
    const task = await scheduler.getTask('every-second');
    assert.ok(task);
    assert.deepEqual(
      {
        id: task.id,
        name: task.name,
        workflow: task.workflow,
        source: task.source,
        enabled: task.enabled,
        cron: task.cron,
        timeZone: task.timeZone,
      },
      {
        id: 'every-second',
        name: 'every-second',
        workflow: 'every-second',
        source: 'decorator',
        enabled: true,
        cron: '* * * * * *',
        timeZone: 'UTC',
      },
    );
    assert.ok(task.nextRunAt instanceof Date);
    const runs = await runsWith(scheduler, 'every-second', 'success');
    const run = runs.find((entry) => entry.status === 'success') as TaskRun;
    const context = calls.find((call) => call.scheduledAt.getTime() === run.scheduledAt.getTime());
    assert.ok(context, 'the handler was called for the recorded fire');
    assert.equal(context.taskId, 'every-second');
    assert.equal(context.name, 'every-second');
    assert.equal(context.attempt, 1);
    assert.equal(context.kind, 'scheduled');
    assert.ok(Number.isInteger(context.fencingToken) && context.fencingToken > 0);
    assert.equal(context.instanceId, scheduler.getStats().instanceId);
    assert.equal(context.payload, null);
    assert.equal(context.signal.aborted, false);
    assert.equal(run.instanceId, context.instanceId);
    assert.equal(run.attempt, 1);
    assert.equal(run.error, null);
    // A fire time is a whole second of the cron, run at or after it (Redis time).
    assert.equal(run.scheduledAt.getTime() % 1000, 0);
    assert.ok((run.startedAt as Date).getTime() >= run.scheduledAt.getTime());
  });

  it('an unchanged decorated definition keeps its next fire across a restart; a changed one is replaced', async () => {
    let scheduler = await start([DailyTask]);
    const first = (await scheduler.getTask('daily'))!;
    await app!.close();
    app = undefined;
    scheduler = await start([DailyTask]);
    const again = (await scheduler.getTask('daily'))!;
    assert.deepEqual(
      [again.version, again.nextRunAt, again.updatedAt],
      [first.version, first.nextRunAt, first.updatedAt],
    );
    await app!.close();
    app = undefined;
    scheduler = await start([ChangedDailyTask]);
    const changed = (await scheduler.getTask('daily'))!;
    assert.equal(changed.cron, '0 4 * * *');
    assert.equal((changed.nextRunAt as Date).getUTCHours(), 4);
    assert.ok(changed.version > first.version);
  });

  it('a decorated task disabled at run time (disableTask, or after failures) stays disabled across redeploys', async () => {
    let scheduler = await start([DailyTask, FailingDecoratedTask]);
    await scheduler.disableTask('daily');
    await pollUntil('fragile disabled after its failure', 8_000, async () =>
      (await scheduler.getTask('fragile'))?.enabled === false ? true : 'still enabled',
    );
    await app!.close();
    app = undefined;
    scheduler = await start([DailyTask, FailingDecoratedTask]);
    for (const id of ['daily', 'fragile']) {
      const task = (await scheduler.getTask(id))!;
      assert.deepEqual([task.enabled, task.nextRunAt], [false, null], `${id} after an unchanged deploy`);
    }
    await app!.close();
    app = undefined;
    scheduler = await start([ChangedDailyTask]);
    const changed = (await scheduler.getTask('daily'))!;
    assert.deepEqual([changed.cron, changed.enabled, changed.nextRunAt], ['0 4 * * *', false, null]);
    // Enabled again at run time, it keeps its schedule across the next deploy.
    const enabled = await scheduler.enableTask('daily');
    await app!.close();
    app = undefined;
    scheduler = await start([ChangedDailyTask]);
    const kept = (await scheduler.getTask('daily'))!;
    assert.deepEqual([kept.enabled, kept.nextRunAt, kept.version], [true, enabled.nextRunAt, enabled.version]);
  });

  it("an id holding '|' is run, retried and recorded under its id", async () => {
    const scheduler = await start([]);
    scheduler.registerWorkflow('flaky', (run: ScheduledRunContext) => {
      calls.push(run);
      if (run.attempt === 1) throw new Error('first try fails');
    });
    const id = 'report|2024|1|retry';
    await scheduler.addTask({ id, name: 'piped', cron: '0 0 1 1 *', workflow: 'flaky', retry: { backoffMs: 10 } });
    await scheduler.triggerTask(id);
    const runs = await runsWith(scheduler, id, 'success');
    assert.deepEqual(
      runs.map((run) => `${run.status}:${run.attempt}`),
      ['success:2', 'retry:1'],
    );
    assert.deepEqual(
      calls.map((call) => [call.taskId, call.attempt]),
      [
        [id, 1],
        [id, 2],
      ],
    );
  });

  it('a task added at run time fires with its payload; a trigger runs it at once; getRuns has both', async () => {
    const scheduler = await start([ExportWorkflow]);
    const added = await scheduler.addTask({
      id: 'nightly-users',
      name: 'nightly users export',
      cron: '0 2 * * *',
      workflow: 'export-table',
      payload: { table: 'users' },
    });
    assert.equal(added.source, 'api');
    assert.deepEqual(added.payload, { table: 'users' });
    assert.deepEqual(added.retry, { attempts: 3, backoffMs: 1000 });
    assert.equal(added.overlap, 'skip');
    assert.equal(added.misfire, 'runOnce');
    assert.equal(added.misfireGraceMs, 60_000);
    assert.equal(added.maxConsecutiveFailures, 3);
    assert.equal(added.jitterMs, 0);
    assert.equal(added.leaseMs, null);
    assert.equal((added.nextRunAt as Date).getUTCHours(), 2);
    await scheduler.triggerTask('nightly-users');
    await runsWith(scheduler, 'nightly-users', 'success');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].kind, 'manual');
    assert.deepEqual(calls[0].payload, { table: 'users' });
    assert.equal(calls[0].taskId, 'nightly-users');
    assert.equal(calls[0].name, 'nightly users export');

    const everySecond = await scheduler.addTask({
      name: 'often',
      cron: '* * * * * *',
      workflow: 'export-table',
      payload: { table: 'pods' },
    });
    assert.match(everySecond.id, /^[0-9a-f-]{36}$/, 'a generated id');
    await runsWith(scheduler, everySecond.id, 'success');
    assert.ok(
      calls.some((call) => call.taskId === everySecond.id && (call.payload as { table: string }).table === 'pods'),
    );
  });

  it('disable stops the fires (a trigger still runs it), enable starts them again from now', async () => {
    const scheduler = await start([EverySecondTask]);
    await runsWith(scheduler, 'every-second', 'success');
    const disabled = await scheduler.disableTask('every-second');
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.nextRunAt, null);
    assert.deepEqual(
      (await scheduler.listTasks({ enabledOnly: true })).map((task) => task.id),
      [],
    );
    assert.deepEqual(
      (await scheduler.listTasks()).map((task) => task.id),
      ['every-second'],
    );
    await sleep(300); // a run in progress may end
    const countAfterDisable = calls.length;
    await sleep(1_500);
    assert.equal(calls.length, countAfterDisable, 'no fire while disabled');

    await scheduler.triggerTask('every-second');
    await pollUntil('the triggered run', 5_000, async () => (calls.length > countAfterDisable ? true : 'not yet'));

    const enabled = await scheduler.enableTask('every-second');
    assert.equal(enabled.enabled, true);
    const { time } = { time: await raw.time() };
    const redisNow = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    assert.ok((enabled.nextRunAt as Date).getTime() > redisNow - 1000, 'the next fire is computed from now');
    const countAfterEnable = calls.length;
    await pollUntil('a fire after enabling', 5_000, async () => (calls.length > countAfterEnable ? true : 'not yet'));
  });

  it("getStats has exactly the seed's fields", async () => {
    const scheduler = await start([EverySecondTask, ExportWorkflow], { maxConcurrent: 3, instanceId: 'replica-a' });
    scheduler.registerWorkflow('added-later', () => undefined);
    assert.deepEqual(scheduler.getStats(), {
      instanceId: 'replica-a',
      running: true,
      maxConcurrent: 3,
      runningTasks: 0,
      availableSlots: 3,
      registeredWorkflows: ['added-later', 'every-second', 'export-table'],
    });
    await app!.close();
    app = undefined;
    assert.equal(scheduler.getStats().running, false);
  });

  it('counts a run in progress in getStats and shows it as running in getRuns', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const scheduler = await start([], { maxConcurrent: 2 });
    scheduler.registerWorkflow('slow', () => released);
    await scheduler.addTask({ id: 'slow-task', name: 'slow', cron: '0 0 1 1 *', workflow: 'slow' });
    await scheduler.triggerTask('slow-task');
    await pollUntil('the run to start', 5_000, async () =>
      scheduler.getStats().runningTasks === 1 ? true : 'not yet',
    );
    assert.equal(scheduler.getStats().availableSlots, 1);
    const [running] = await scheduler.getRuns('slow-task');
    assert.equal(running.status, 'running');
    release();
    await runsWith(scheduler, 'slow-task', 'success');
    assert.equal(scheduler.getStats().runningTasks, 0);
  });

  it('a failed attempt is recorded with its error message and retried with attempt + 1', async () => {
    const scheduler = await start([]);
    const kinds: string[] = [];
    scheduler.registerWorkflow('flaky', (run: ScheduledRunContext) => {
      kinds.push(run.kind);
      if (run.attempt === 1) throw new Error('first try fails');
    });
    await scheduler.addTask({
      id: 'flaky-task',
      name: 'flaky',
      cron: '0 0 1 1 *',
      workflow: 'flaky',
      retry: { backoffMs: 10 },
    });
    await scheduler.triggerTask('flaky-task');
    const runs = await runsWith(scheduler, 'flaky-task', 'success');
    const retry = runs.find((run) => run.status === 'retry');
    assert.ok(retry, JSON.stringify(runs));
    assert.equal(retry.error, 'first try fails');
    assert.equal(retry.attempt, 1);
    assert.equal(runs.find((run) => run.status === 'success')?.attempt, 2);
    assert.deepEqual(kinds, ['manual', 'retry'], 'the context says why each attempt runs');
  });

  it('a task disabled after failures logs a warning', async () => {
    const logger = new CapturingLogger();
    const scheduler = await start([], {}, logger);
    scheduler.registerWorkflow('broken', () => Promise.reject(new Error('always broken')));
    await scheduler.addTask({
      id: 'broken-task',
      name: 'broken',
      cron: '0 0 1 1 *',
      workflow: 'broken',
      retry: { attempts: 1 },
      maxConsecutiveFailures: 1,
    });
    await scheduler.triggerTask('broken-task');
    await runsWith(scheduler, 'broken-task', 'failed');
    await pollUntil('the warning', 5_000, async () =>
      logger.find('warn', /"broken-task" is disabled after failing/).length ? true : 'not logged',
    );
    const task = await scheduler.getTask('broken-task');
    assert.equal(task?.enabled, false);
    assert.equal(task?.failureCount, 1);
    assert.equal(task?.lastStatus, 'failed');
  });
});

describe('health', () => {
  it('is up with its details while Redis answers, down with a message when it does not, and up again after', async () => {
    const scheduler = await start([EverySecondTask], { pollIntervalMs: 200 });
    const indicator = app!.get(DistributedSchedulerHealthIndicator);
    const up = await pollUntil('up', 5_000, async () => {
      const result = (await indicator.isHealthy('scheduler')).scheduler;
      return result.status === 'up' ? result : JSON.stringify(result);
    });
    assert.deepEqual(Object.keys(up).sort(), [
      'loopAlive',
      'oldestOverdueMs',
      'redisReachable',
      'runningRuns',
      'status',
    ]);
    assert.equal(up.loopAlive, true);
    assert.equal(up.redisReachable, true);
    assert.equal(typeof up.runningRuns, 'number');
    assert.equal(typeof up.oldestOverdueMs, 'number');

    await server.stop();
    const down = await pollUntil('down', 8_000, async () => {
      const result = (await indicator.isHealthy('scheduler')).scheduler;
      return result.status === 'down' ? result : 'still up';
    });
    assert.equal(down.redisReachable, false);
    assert.match(String(down.message), /Redis/);
    const countWhileDown = calls.length;
    await sleep(1_500);
    assert.equal(calls.length, countWhileDown, 'nothing starts while Redis is down');

    await server.start(); // back empty: the declared task is saved again and fires
    await pollUntil('up again', 10_000, async () =>
      (await indicator.isHealthy('scheduler')).scheduler.status === 'up' ? true : 'down',
    );
    await runsWith(scheduler, 'every-second', 'success');
  });

  it('a reconnect to a Redis that kept its data leaves a disabled decorated task disabled', async () => {
    const scheduler = await start([DailyTask], { pollIntervalMs: 100 });
    await scheduler.disableTask('daily');
    const indicator = app!.get(DistributedSchedulerHealthIndicator);
    await server.cli('CLIENT', 'KILL', 'TYPE', 'normal');
    await sleep(300);
    await pollUntil('up again', 5_000, async () =>
      (await indicator.isHealthy('scheduler')).scheduler.status === 'up' ? true : 'down',
    );
    await sleep(300); // a few looks after the reconnect
    const task = await scheduler.getTask('daily');
    assert.equal(task?.enabled, false);
    assert.equal(task?.nextRunAt, null);
  });

  it('a look that failed on a connected Redis (stalled) says so in short: no internal call text, details in the log', async () => {
    const logger = new CapturingLogger();
    await start([EverySecondTask], { pollIntervalMs: 100 }, logger, { commandTimeoutMs: 300 });
    const indicator = app!.get(DistributedSchedulerHealthIndicator);
    await pollUntil('up', 5_000, async () =>
      (await indicator.isHealthy('scheduler')).scheduler.status === 'up' ? true : 'down',
    );
    await server.cli('CLIENT', 'PAUSE', '2500', 'ALL');
    const down = await pollUntil('down while Redis stalls', 5_000, async () => {
      const result = (await indicator.isHealthy('scheduler')).scheduler;
      return result.status === 'down' && result.redisReachable === false ? result : JSON.stringify(result);
    });
    const message = String(down.message);
    assert.doesNotMatch(message, /peek|instanceId|workflows=|limit=/, message);
    assert.match(message, /^the scheduler's last look at Redis failed; no run starts until one succeeds/);
    // The details, once: the loop's line (ClaimingNotice), however often the indicator is asked.
    for (let i = 0; i < 5; i++) await indicator.isHealthy('scheduler');
    const logged = logger.find('warn', /Stopped claiming runs: the look at Redis failed \(peek\(/);
    assert.equal(logged.length, 1, `the details are logged once: ${logger.allText()}`);
    await pollUntil('up again', 10_000, async () =>
      (await indicator.isHealthy('scheduler')).scheduler.status === 'up' ? true : 'down',
    );
  });

  it('is down once the app has shut down', async () => {
    await start([]);
    const indicator = app!.get(DistributedSchedulerHealthIndicator);
    await app!.close();
    app = undefined;
    const result = (await indicator.isHealthy('scheduler')).scheduler;
    assert.equal(result.status, 'down');
    assert.match(String(result.message), /loop is stopped/);
  });
});

describe('lease', () => {
  it('a replica cut off from Redis aborts its handler once the lease may have expired, while the renewal still hangs', async () => {
    const LEASE_MS = 1_500;
    const PAUSE_MS = 5_000;
    const logger = new CapturingLogger();
    // A command timeout far longer than the pause: the renewal hangs instead of failing.
    const scheduler = await start([], { leaseMs: LEASE_MS }, logger, { commandTimeoutMs: 30_000 });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let abortedAt: number | undefined;
    let reason: unknown;
    scheduler.registerWorkflow('held', (run: ScheduledRunContext) => {
      run.signal.addEventListener('abort', () => {
        abortedAt = performance.now();
        reason = run.signal.reason;
      });
      started();
      return new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve()));
    });
    await scheduler.addTask({
      id: 'held-task',
      name: 'held',
      cron: '0 0 1 1 *',
      workflow: 'held',
      retry: { attempts: 1 },
    });
    await scheduler.triggerTask('held-task');
    await running;
    await sleep(LEASE_MS / 2); // at least one renewal went through
    const pausedAt = performance.now();
    await raw.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
    await pollUntil('the signal aborted', PAUSE_MS + 5_000, async () => (abortedAt !== undefined ? true : 'not yet'));
    const abortedAfterMs = (abortedAt as number) - pausedAt;
    // The last renewal was sent before the pause: the lease's local deadline is at most LEASE_MS after it.
    assert.ok(
      abortedAfterMs <= LEASE_MS + 1_000,
      `aborted ${Math.round(abortedAfterMs)} ms after Redis stopped answering (lease ${LEASE_MS} ms, pause ${PAUSE_MS} ms)`,
    );
    assert.match(String((reason as Error).message), /lease of task "held-task" was lost/);
    // Redis answers again: the run's completion is refused and the attempt recorded lost.
    const runs = await runsWith(scheduler, 'held-task', 'lost');
    assert.deepEqual(
      runs.map((run) => run.status),
      ['lost'],
    );
    assert.equal(logger.find('warn', /Lease of task "held-task" .* lost: no renewal succeeded/).length, 1);
  });
});

describe('graceful stop', () => {
  it('waits for a handler that ends within shutdownTimeoutMs and records its success', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const scheduler = await start([], { shutdownTimeoutMs: 5_000 });
    let finished = false;
    scheduler.registerWorkflow('short', async () => {
      started();
      await sleep(500);
      finished = true;
    });
    await scheduler.addTask({ id: 'short-task', name: 'short', cron: '0 0 1 1 *', workflow: 'short' });
    await scheduler.triggerTask('short-task');
    await running;
    await app!.close();
    app = undefined;
    assert.equal(finished, true, 'close waited for the handler');
    const history = await storedHistory('short-task');
    assert.deepEqual(
      history.map((entry) => entry.status),
      ['success'],
    );
  });

  it('aborts a handler still running after shutdownTimeoutMs and records it cancelled', async () => {
    let signal!: AbortSignal;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const scheduler = await start([], { shutdownTimeoutMs: 300 });
    scheduler.registerWorkflow('stuck', (run: ScheduledRunContext) => {
      signal = run.signal;
      started();
      return new Promise(() => undefined); // ignores its signal: the stop must not wait for it
    });
    await scheduler.addTask({
      id: 'stuck-task',
      name: 'stuck',
      cron: '0 0 1 1 *',
      workflow: 'stuck',
      retry: { attempts: 1 },
    });
    await scheduler.triggerTask('stuck-task');
    await running;
    const closing = Date.now();
    await app!.close();
    app = undefined;
    assert.ok(Date.now() - closing < 5_000, 'the stop did not wait for the stuck handler');
    assert.equal(signal.aborted, true);
    const history = await storedHistory('stuck-task');
    assert.deepEqual(
      history.map((entry) => entry.status),
      ['cancelled'],
    );
    assert.match(history[0].error ?? '', /shut down/);
    assert.equal(await raw.zcard(`sf:{${NAMESPACE}:sched}:leases`), 0, 'its lease was released');
  });
});
