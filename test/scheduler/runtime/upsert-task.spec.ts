import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { after, describe, it } from 'node:test';
import {
  DistributedCron,
  DistributedSchedulerService,
  ErrorCode,
  ScheduledRunContext,
  StatefulError,
} from '../../../lib';
import { namespaceSnapshot } from './namespace-snapshot';
import { startSchedulerApp, useServerWithAppPerTest } from './scheduler-app';

/*
 * upsertTask: tasks seeded from configuration at every boot (issue 19). The first boot creates the task, the
 * next ones find it unchanged and write nothing (its next fire and run-time state stay), a changed definition
 * is saved like updateTask (version + 1, a new cron computes the next fire from now), `enabled` is the task's
 * run-time state once it exists (an operator's disableTask survives a reboot).
 */

const NAMESPACE = 'upsert';
const BASE = `sf:{${NAMESPACE}:sched}`;
const SEED = { id: 'nightly-export', name: 'nightly export', cron: '0 2 * * *', workflow: 'export', payload: { t: 1 } };

const fixture = useServerWithAppPerTest();
after(async () => {
  await fixture.app?.close();
});

@Injectable()
class Declared {
  @DistributedCron('0 3 * * *', { name: 'declared-report' })
  async report(_run: ScheduledRunContext): Promise<void> {}
}

/** One boot of an app that seeds its tasks: a new scheduler, `export` registered. */
async function boot(providers: unknown[] = [], registry?: Registry): Promise<DistributedSchedulerService> {
  await fixture.app?.close();
  const started = await startSchedulerApp({
    redis: { redis: fixture.server.url, ...(registry ? { metrics: { registry } } : {}) },
    scheduler: { namespace: NAMESPACE, pollIntervalMs: 60_000 },
    providers: providers as never[],
  });
  fixture.app = started.app;
  started.scheduler.registerWorkflow('export', () => undefined);
  return started.scheduler;
}

const snapshot = () => namespaceSnapshot(fixture.server, BASE);

describe('upsertTask', () => {
  it('seeding at every boot: created once, then unchanged (nothing written), no ALREADY_EXISTS', async () => {
    let scheduler = await boot();
    const created = await scheduler.upsertTask(SEED);
    assert.equal(created.version, 1);
    assert.equal(created.source, 'api');
    const before = await snapshot();
    for (let restart = 0; restart < 2; restart++) {
      scheduler = await boot();
      const again = await scheduler.upsertTask({ ...SEED, payload: { t: 1 } });
      assert.equal(again.version, 1);
      assert.equal(again.nextRunAt?.getTime(), created.nextRunAt?.getTime());
    }
    assert.equal(await snapshot(), before, 'an unchanged definition writes nothing');
  });

  it('a changed definition is saved like updateTask: version + 1, a new cron computes its next fire', async () => {
    const scheduler = await boot();
    const created = await scheduler.upsertTask(SEED);
    const samePlan = await scheduler.upsertTask({ ...SEED, payload: { t: 2 } });
    assert.equal(samePlan.version, 2);
    assert.deepEqual(samePlan.payload, { t: 2 });
    assert.equal(samePlan.nextRunAt?.getTime(), created.nextRunAt?.getTime(), 'same cron: the next fire stays');
    const replanned = await scheduler.upsertTask({ ...SEED, payload: { t: 2 }, cron: '30 4 * * *' });
    assert.equal(replanned.version, 3);
    assert.equal(replanned.nextRunAt?.getUTCHours(), 4);
    assert.equal(replanned.nextRunAt?.getUTCMinutes(), 30);
    assert.equal(replanned.createdAt.getTime(), created.createdAt.getTime(), 'the same task, not a new one');
  });

  it('enabled is the initial state only: a disabled task stays disabled across boots', async () => {
    let scheduler = await boot();
    await scheduler.upsertTask(SEED);
    await scheduler.disableTask(SEED.id);
    scheduler = await boot();
    const unchanged = await scheduler.upsertTask(SEED);
    assert.equal(unchanged.enabled, false);
    const changed = await scheduler.upsertTask({ ...SEED, cron: '0 5 * * *', enabled: true });
    assert.equal(changed.enabled, false, 'enableTask turns it on, not a reboot');
    assert.equal(changed.cron, '0 5 * * *');
  });

  it('a task added disabled by upsertTask is created disabled', async () => {
    const scheduler = await boot();
    const task = await scheduler.upsertTask({ ...SEED, enabled: false });
    assert.equal(task.enabled, false);
    assert.equal(task.nextRunAt, null);
  });

  it('its writes are counted, and named in errors, as upsertTask (not as addTask or updateTask)', async () => {
    const registry = new Registry();
    const scheduler = await boot([], registry);
    await scheduler.upsertTask(SEED);
    await scheduler.upsertTask({ ...SEED, cron: '0 6 * * *' });
    const text = await registry.metrics();
    // Each: Redis's time for the next fire, then the save.
    assert.match(text, /stateful_redis_operations_total\{feature="scheduler",operation="upsertTask"\} 4/);
    assert.doesNotMatch(text, /operation="(addTask|updateTask)"/);
  });

  it('the id is required (a generated one would add a task at every boot), nothing written', async () => {
    const scheduler = await boot();
    const { id: _id, ...withoutId } = SEED;
    const before = await snapshot();
    await assert.rejects(
      () => scheduler.upsertTask(withoutId as never),
      (error: unknown) =>
        error instanceof StatefulError &&
        error.code === ErrorCode.INVALID_PARAMETER &&
        error.field === 'id' &&
        /^upsertTask: invalid parameter "id": is required/.test(error.message),
    );
    assert.equal(await snapshot(), before);
  });

  it('a decorated task is not replaced: ALREADY_EXISTS naming @DistributedCron, nothing written', async () => {
    const scheduler = await boot([Declared]);
    const before = await snapshot();
    await assert.rejects(
      () => scheduler.upsertTask({ ...SEED, id: 'declared-report' }),
      (error: unknown) =>
        error instanceof StatefulError &&
        error.code === ErrorCode.ALREADY_EXISTS &&
        /declared in code \(@DistributedCron\)/.test(error.message),
    );
    assert.equal(await snapshot(), before);
  });
});
