import { Injectable } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import {
  DistributedCron,
  DistributedSchedulerHealthIndicator,
  DistributedSchedulerService,
  ScheduledRunContext,
  TaskRun,
} from '../../../lib';
import { jitterOffset } from '../../../lib/scheduler/cron/jitter-offset';
import { SchedulerStore } from '../../../lib/scheduler/store/scheduler-store';
import { CapturingLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { pollUntil, sleep } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

const NAMESPACE = 'edges';
const BASE = `sf:{${NAMESPACE}:sched}`;
const DAY = 24 * 3600_000;

@Injectable()
class DailyTask {
  @DistributedCron('0 3 * * *', { name: 'daily' })
  run(): void {}
}

/** The same schedule (cron and time zone), other policies: a deploy that does not touch the schedule. */
@Injectable()
class DailyTaskOtherPolicies {
  @DistributedCron('0 3 * * *', { name: 'daily', retry: { attempts: 5, backoffMs: 10 }, jitterMs: 50 })
  run(): void {}
}

let server: RedisServer;
let raw: Redis;
let app: TestingModule | undefined;

useRedisServer((started) => {
  server = started;
  raw = new Redis(server.port, server.host);
  raw.on('error', () => undefined); // CLIENT KILL cuts this client too
});
after(() => raw?.disconnect());
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(
  providers: unknown[],
  scheduler: Record<string, unknown> = {},
  logger?: CapturingLogger,
): Promise<DistributedSchedulerService> {
  const started = await startSchedulerApp({
    redis: { redis: server.url },
    scheduler: { namespace: NAMESPACE, ...scheduler },
    providers: providers as never[],
    logger,
  });
  app = started.app;
  return started.scheduler;
}

async function restart(providers: unknown[]): Promise<DistributedSchedulerService> {
  await app!.close();
  app = undefined;
  return start(providers);
}

function runsWith(scheduler: DistributedSchedulerService, id: string, status: TaskRun['status']): Promise<TaskRun[]> {
  return pollUntil(`a ${status} run of ${id}`, 8_000, async () => {
    const runs = await scheduler.getRuns(id);
    return runs.some((run) => run.status === status) ? runs : `runs: ${JSON.stringify(runs.map((run) => run.status))}`;
  });
}

/** Kills every client connection: the app reconnects to the same Redis (its data kept). */
async function reconnect(scheduler: DistributedSchedulerService): Promise<void> {
  await server.cli('CLIENT', 'KILL', 'TYPE', 'normal');
  await sleep(300);
  const indicator = app!.get(DistributedSchedulerHealthIndicator);
  await pollUntil('up again', 5_000, async () =>
    (await indicator.isHealthy('scheduler')).scheduler.status === 'up' ? true : 'down',
  );
  await scheduler.listTasks();
  await sleep(300); // a few looks after the reconnect
}

describe('deploys', () => {
  it('a deploy that changes a decorated task but not its schedule keeps its next fire: an overdue fire still runs', async () => {
    const first = (await (await start([DailyTask])).getTask('daily'))!;
    await app!.close();
    app = undefined;
    // Every replica down while the fire came due: it is overdue when the next version boots.
    const overdue = first.nextRunAt!.getTime() - DAY;
    const state = JSON.parse((await raw.hget(`${BASE}:state`, 'daily')) as string) as Record<string, unknown>;
    await raw.hset(`${BASE}:state`, 'daily', JSON.stringify({ ...state, nextRunAt: overdue }));
    await raw.zadd(`${BASE}:due:daily`, overdue, 'daily');
    const scheduler = await start([DailyTaskOtherPolicies]);
    const runs = await runsWith(scheduler, 'daily', 'success');
    assert.deepEqual(
      runs.map((run) => [run.status, run.scheduledAt.getTime()]),
      [['success', overdue]],
      'the overdue fire ran (misfire runOnce), once',
    );
    const task = (await scheduler.getTask('daily'))!;
    assert.equal(task.retry.attempts, 5);
    assert.equal(task.nextRunAt?.getTime(), first.nextRunAt!.getTime(), 'then the schedule goes on');
  });

  it('a deploy that changes only the jitter keeps the next fire and moves its due score by the new jitter', async () => {
    const first = (await (await start([DailyTask])).getTask('daily'))!;
    const scheduler = await restart([DailyTaskOtherPolicies]);
    const next = first.nextRunAt!.getTime();
    assert.equal((await scheduler.getTask('daily'))!.nextRunAt?.getTime(), next);
    assert.equal(await raw.zscore(`${BASE}:due:daily`, 'daily'), String(next + jitterOffset('daily', next, 50)));
  });
});

describe('reconnects', () => {
  it('a decorated task removed at run time stays removed across a reconnect; one Redis lost is created again', async () => {
    const scheduler = await start([DailyTask], { pollIntervalMs: 100 });
    // removeTask refuses it while this replica declares it: removed as it is once no replica seemed live (this
    // one paused longer than the live window, say).
    assert.equal(await app!.get(SchedulerStore).removeTask('daily'), true);
    await reconnect(scheduler);
    assert.equal(await scheduler.getTask('daily'), null, 'the removal holds');

    await server.cli('FLUSHALL'); // Redis lost its data (a restart without persistence)
    await reconnect(scheduler);
    await pollUntil('the declared task restored', 5_000, async () =>
      (await scheduler.getTask('daily')) ? true : 'absent',
    );
  });
});

describe('the loop', () => {
  it('a due task no decision can be made on (unknown time zone) neither blocks the others nor floods the log', async () => {
    const logger = new CapturingLogger();
    const scheduler = await start([], { maxConcurrent: 1 }, logger);
    let runsOfB = 0;
    scheduler.registerWorkflow('wf', (run: ScheduledRunContext) => {
      if (run.taskId === 'b') runsOfB++;
    });
    await scheduler.addTask({ id: 'a', name: 'a', cron: '* * * * * *', workflow: 'wf' });
    await scheduler.addTask({ id: 'b', name: 'b', cron: '* * * * * *', workflow: 'wf' });
    // A definition this replica cannot decide on (written by a newer replica whose ICU knows more zones).
    const definition = JSON.parse((await raw.hget(`${BASE}:tasks`, 'a'))!) as { timeZone: string };
    definition.timeZone = 'Mars/Olympus_Mons';
    await raw.hset(`${BASE}:tasks`, 'a', JSON.stringify(definition));
    const from = runsOfB;
    await pollUntil('b to run 3 more times', 8_000, async () =>
      runsOfB - from >= 3 ? true : `${runsOfB - from} runs`,
    );
    const warnings = logger.find('warn', 'Task "a": no decision');
    assert.equal(warnings.length, 1, `warned once: ${logger.allText()}`);
  });

  it('a short period and long handlers (overlap allow): every fire starts on time, though the poll is long', async () => {
    const scheduler = await start([], { pollIntervalMs: 10_000, maxConcurrent: 10 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const lags: number[] = [];
    scheduler.registerWorkflow('slow', (run: ScheduledRunContext) => {
      lags.push(Date.now() - run.scheduledAt.getTime());
      return released;
    });
    await scheduler.addTask({ id: 't', name: 't', cron: '* * * * * *', workflow: 'slow', overlap: 'allow' });
    try {
      await pollUntil('4 runs started', 8_000, async () => (lags.length >= 4 ? true : `${lags.length} started`));
      assert.ok(
        lags.slice(0, 4).every((lag) => lag < 1_500),
        `each started within a generous bound of its fire: ${lags}`,
      );
    } finally {
      release();
    }
  });

  it('a renewal refused while the finish is in flight is not a lost lease', async () => {
    const logger = new CapturingLogger();
    const scheduler = await start([], { leaseMs: 600 }, logger);
    const store = app!.get(SchedulerStore);
    const finish = store.finish.bind(store);
    // A slow reply to the accepted finish: the renewal timer (every 200 ms) would fire meanwhile.
    store.finish = async (input) => {
      const result = await finish(input);
      await sleep(500);
      return result;
    };
    let signal: AbortSignal | undefined;
    scheduler.registerWorkflow('quick', (run: ScheduledRunContext) => {
      signal = run.signal;
    });
    await scheduler.addTask({ id: 'q', name: 'q', cron: '0 0 1 1 *', workflow: 'quick' });
    await scheduler.triggerTask('q');
    await runsWith(scheduler, 'q', 'success');
    await pollUntil('the run over', 5_000, async () => (scheduler.getStats().runningTasks === 0 ? true : 'running'));
    assert.deepEqual(logger.find('warn', 'Lease of task'), [], 'no lease-lost warning');
    assert.equal(signal?.aborted, false);
  });
});
