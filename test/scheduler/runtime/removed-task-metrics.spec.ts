import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DistributedSchedulerService, SCHEDULER_METRIC_NAMES } from '../../../lib';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { pollUntil } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

const NAMESPACE = 'series';
const TASK_SERIES = [
  SCHEDULER_METRIC_NAMES.runs,
  SCHEDULER_METRIC_NAMES.runDuration,
  SCHEDULER_METRIC_NAMES.fireLag,
  SCHEDULER_METRIC_NAMES.leasesLost,
];

let server: RedisServer;
let apps: TestingModule[] = [];

useRedisServer((started) => (server = started));
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

async function replica(registry: Registry): Promise<{ app: TestingModule; scheduler: DistributedSchedulerService }> {
  const started = await startSchedulerApp({
    redis: { redis: server.url, metrics: { registry } },
    scheduler: { namespace: NAMESPACE, pollIntervalMs: 100 },
  });
  apps.push(started.app);
  return started;
}

/** The lines of the scheduler's per-task series that name `task`. */
async function seriesOf(registry: Registry, task: string): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((line) => TASK_SERIES.some((name) => line.startsWith(name)) && line.includes(`task="${task}"`));
}

async function addAndRun(scheduler: DistributedSchedulerService, id: string, workflow: string): Promise<void> {
  await scheduler.addTask({ id, name: id, cron: '0 0 1 1 *', enabled: false, workflow });
  await scheduler.triggerTask(id);
  await pollUntil(`the success of ${id}`, 8_000, async () =>
    (await scheduler.getRuns(id)).some((run) => run.status === 'success') ? true : 'not yet',
  );
}

describe('the metric series of a removed task are deleted', () => {
  it('on the replica that removed it, once removeTask returns; the other tasks keep theirs', async () => {
    const registry = new Registry();
    const { scheduler } = await replica(registry);
    scheduler.registerWorkflow('job', () => undefined);
    await addAndRun(scheduler, 'kept', 'job');
    await addAndRun(scheduler, 'removed-here', 'job');
    assert.ok((await seriesOf(registry, 'removed-here')).length >= 3, 'runs, duration and lag series exist');
    assert.equal(await scheduler.removeTask('removed-here'), true);
    assert.deepEqual(await seriesOf(registry, 'removed-here'), []);
    assert.ok((await seriesOf(registry, 'kept')).length >= 3, 'the series of the other task stay');
  });

  it('on a replica that hears the removal made by another', async () => {
    const runnerRegistry = new Registry();
    const { scheduler: runner } = await replica(runnerRegistry);
    runner.registerWorkflow('job', () => undefined);
    const { scheduler: other } = await replica(new Registry());
    await addAndRun(runner, 'removed-there', 'job');
    assert.ok((await seriesOf(runnerRegistry, 'removed-there')).length >= 3);
    assert.equal(await other.removeTask('removed-there'), true);
    await pollUntil('the series gone on the replica that ran it', 5_000, async () => {
      const left = await seriesOf(runnerRegistry, 'removed-there');
      return left.length === 0 ? true : left.join('; ');
    });
  });

  it('a run in progress when its task is removed does not bring the series back when it ends', async () => {
    const runnerRegistry = new Registry();
    const { app: runnerApp, scheduler: runner } = await replica(runnerRegistry);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    runner.registerWorkflow('slow', () => released);
    const { scheduler: other } = await replica(new Registry());
    await runner.addTask({ id: 'removed-mid-run', name: 'removed-mid-run', cron: '0 0 1 1 *', workflow: 'slow' });
    await runner.triggerTask('removed-mid-run');
    await pollUntil('the run started', 8_000, async () =>
      runner.getStats().runningTasks === 1 ? true : 'not running yet',
    );
    assert.equal(await other.removeTask('removed-mid-run'), true);
    await pollUntil('the removal heard', 5_000, async () => {
      const left = await seriesOf(runnerRegistry, 'removed-mid-run');
      return left.length === 0 ? true : left.join('; ');
    });
    release();
    // Closing waits for the run's end and its finish.
    await runnerApp.close();
    apps = apps.filter((app) => app !== runnerApp);
    assert.deepEqual(await seriesOf(runnerRegistry, 'removed-mid-run'), []);
  });
});
