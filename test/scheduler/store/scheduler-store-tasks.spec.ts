import { Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ErrorCode } from '../../../lib/core/errors/error-code';
import { StatefulError } from '../../../lib/core/errors/stateful.error';
import type { StoredTaskDefinition } from '../../../lib/scheduler/store/stored-task.interface';
import { describeOnTargets } from '../../harness/redis-target';
import { pollUntil, sleep } from '../../harness/wait';
import type { SaveTaskInput } from '../../../lib/scheduler/store/scheduler-store.interface';
import { BASE, definition, freshStore, NAMESPACE, onTime, useStoreFixture, WORKFLOW } from './store-fixture';

async function refusal(action: () => Promise<unknown>): Promise<StatefulError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof StatefulError, `expected a StatefulError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** One attempt, disabled after one failed fire. */
const FRAGILE = { retry: { attempts: 1, backoffMs: 1 }, maxConsecutiveFailures: 1 };

describeOnTargets('SchedulerStore tasks', (target) => {
  const f = useStoreFixture(target);

  /** Saves `task` due 10 ms ago, claims it and fails its only attempt: the store disables it (one failure allowed). */
  async function failUntilDisabled(
    task: StoredTaskDefinition,
    now: number,
    mode: SaveTaskInput['mode'],
  ): Promise<void> {
    await f.store.saveTask({ definition: task, nextRunAt: now - 10, dueScore: now - 10, mode });
    const [run] = await f.claimDue(f.store);
    const failed = await f.store.finish({
      taskId: task.id,
      fence: run.fence,
      status: 'failed',
    });
    assert.equal(failed.disabled, true);
  }

  it('saveTask create: the definition and its schedule; an existing id is ALREADY_EXISTS, nothing written', async () => {
    const now = await f.store.now();
    const payload = { table: 'users', nested: { list: [1, 2.5, null, 'ü'] } };
    const created = await f.store.saveTask({
      definition: definition('t1', { payload, retry: { attempts: 5, backoffMs: 250 } }),
      nextRunAt: now + 1000,
      dueScore: now + 1200,
      mode: 'create',
    });
    assert.equal(created.changed, true);
    assert.equal(created.conflict, false);
    const task = created.task;
    assert.deepEqual(task.payload, payload);
    assert.deepEqual(
      [task.version, task.enabled, task.nextRunAt, task.runCount, task.failureCount, task.running, task.fence],
      [1, true, now + 1000, 0, 0, 0, 0],
    );
    assert.deepEqual(task.retry, { attempts: 5, backoffMs: 250 });
    assert.ok(task.createdAt >= now && task.updatedAt === task.createdAt);
    assert.equal(
      await f.raw.zscore(`${BASE}:due:${WORKFLOW}`, 't1'),
      String(now + 1200),
      'the due score carries the jitter',
    );

    const error = await refusal(() =>
      f.store.saveTask({
        definition: definition('t1', { name: 'other' }),
        nextRunAt: now,
        dueScore: now,
        mode: 'create',
      }),
    );
    assert.equal(error.code, ErrorCode.ALREADY_EXISTS);
    assert.equal(error.operation, 'addTask', 'the public operation');
    assert.equal(error.message, `addTask: a scheduled task with id "t1" already exists in namespace "${NAMESPACE}"`);
    assert.deepEqual(await f.store.getTask('t1'), task);
  });

  it('saveTask update: NOT_FOUND when absent; expectedVersion guards against a concurrent update; a new workflow takes the task with it', async () => {
    assert.equal(
      (
        await refusal(() =>
          f.store.saveTask({ definition: definition('ghost'), nextRunAt: null, dueScore: null, mode: 'update' }),
        )
      ).code,
      ErrorCode.NOT_FOUND,
    );
    assert.deepEqual(await f.raw.exists(`${BASE}:tasks`, `${BASE}:state`), 0, 'nothing written');

    const now = await f.store.now();
    await f.store.saveTask({
      definition: definition('t2'),
      nextRunAt: now + 5000,
      dueScore: now + 5000,
      mode: 'create',
    });
    await f.store.trigger('t2');
    const updated = await f.store.saveTask({
      definition: definition('t2', { name: 'renamed', workflow: 'import' }),
      nextRunAt: now + 6000,
      dueScore: now + 6000,
      mode: 'update',
      expectedVersion: 1,
    });
    assert.deepEqual(
      [updated.changed, updated.conflict, updated.task.version, updated.task.name],
      [true, false, 2, 'renamed'],
    );
    const stale = await f.store.saveTask({
      definition: definition('t2', { name: 'lost update' }),
      nextRunAt: now,
      dueScore: now,
      mode: 'update',
      expectedVersion: 1,
    });
    assert.deepEqual([stale.changed, stale.conflict, stale.task.version, stale.task.name], [false, true, 2, 'renamed']);
    // The due entry (its next fire kept: same cron and time zone) and the pending manual run moved to the new workflow.
    assert.equal(await f.raw.zcard(`${BASE}:due:${WORKFLOW}`), 0);
    assert.equal(await f.raw.zscore(`${BASE}:due:import`, 't2'), String(now + 5000));
    assert.deepEqual(
      await f.replica('a').claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] }),
      [],
    );
    const [manual] = await f
      .replica('a')
      .claim({ workflows: ['import'], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.equal(manual.kind, 'manual');
  });

  it('saveTask upsertDecorated: replicas booting at once end with one definition and one next fire; an unchanged one keeps it', async () => {
    const now = await f.store.now();
    const boots = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? f.store : f.other).saveTask({
          definition: definition('report', { source: 'decorator' }),
          nextRunAt: now + 60_000 + i,
          dueScore: now + 60_000 + i,
          mode: 'upsertDecorated',
        }),
      ),
    );
    assert.equal(boots.filter((boot) => boot.changed).length, 1, 'one replica wrote it');
    const stored = (await f.store.getTask('report'))!;
    assert.equal(stored.version, 1);
    assert.ok(boots.every((boot) => boot.task.nextRunAt === stored.nextRunAt));
    const restart = await f.store.saveTask({
      definition: definition('report', { source: 'decorator' }),
      nextRunAt: now + 120_000,
      dueScore: now + 120_000,
      mode: 'upsertDecorated',
    });
    assert.equal(restart.changed, false);
    assert.equal(restart.task.nextRunAt, stored.nextRunAt, 'an unchanged definition keeps its next fire');
    const changed = await f.store.saveTask({
      definition: definition('report', { source: 'decorator', cron: '0 * * * *' }),
      nextRunAt: now + 120_000,
      dueScore: now + 120_000,
      mode: 'upsertDecorated',
    });
    assert.deepEqual(
      [changed.changed, changed.task.version, changed.task.nextRunAt, changed.task.cron],
      [true, 2, now + 120_000, '0 * * * *'],
    );
  });

  it("saveTask upsertDecorated: `enabled` is run-time state, neither compared nor reset; the decorator's is the initial one", async () => {
    const now = await f.store.now();
    const due = (id: string) => f.raw.zscore(`${BASE}:due:${WORKFLOW}`, id);
    const deploy = (id: string, overrides: Parameters<typeof definition>[1] = {}, nextRunAt = now + 60_000) =>
      f.store.saveTask({
        definition: definition(id, { source: 'decorator', ...overrides }),
        nextRunAt,
        dueScore: nextRunAt,
        mode: 'upsertDecorated',
      });

    // Disabled at run time (disableTask): the next deploy leaves it disabled, changed definition or not.
    await deploy('nightly');
    await f.store.setEnabled({ id: 'nightly', enabled: false, nextRunAt: null, dueScore: null });
    const redeployed = await deploy('nightly', {}, now + 120_000);
    assert.deepEqual(
      [redeployed.changed, redeployed.task.enabled, redeployed.task.nextRunAt, redeployed.task.version],
      [false, false, null, 2],
      'an unchanged definition writes nothing',
    );
    const changed = await deploy('nightly', { cron: '0 * * * *' }, now + 120_000);
    assert.deepEqual(
      [changed.changed, changed.task.cron, changed.task.enabled, changed.task.nextRunAt],
      [true, '0 * * * *', false, null],
    );
    assert.equal(await due('nightly'), null, 'no due entry for a disabled task');

    // Disabled after maxConsecutiveFailures: the next deploy leaves it disabled too.
    await failUntilDisabled(definition('fragile', { ...FRAGILE, source: 'decorator' }), now, 'upsertDecorated');
    const afterFailures = await f.store.saveTask({
      definition: definition('fragile', { ...FRAGILE, source: 'decorator' }),
      nextRunAt: now + 60_000,
      dueScore: now + 60_000,
      mode: 'upsertDecorated',
    });
    assert.deepEqual(
      [afterFailures.changed, afterFailures.task.enabled, afterFailures.task.nextRunAt],
      [false, false, null],
    );

    // Declared `enabled: false` is the initial state; enabled at run time, it stays enabled with its schedule.
    const created = await deploy('opt-in', { enabled: false });
    assert.deepEqual([created.changed, created.task.enabled, created.task.nextRunAt], [true, false, null]);
    await f.store.setEnabled({ id: 'opt-in', enabled: true, nextRunAt: now + 30_000, dueScore: now + 30_000 });
    const kept = await deploy('opt-in', { enabled: false }, now + 90_000);
    assert.deepEqual([kept.changed, kept.task.enabled, kept.task.nextRunAt], [false, true, now + 30_000]);
    const replaced = await deploy('opt-in', { enabled: false, cron: '0 * * * *' }, now + 90_000);
    assert.deepEqual(
      [replaced.changed, replaced.task.enabled, replaced.task.nextRunAt],
      [true, true, now + 90_000],
      'a changed definition of an enabled task gets the given next fire',
    );
    assert.equal(await due('opt-in'), String(now + 90_000));
  });

  it('restoreDeclaredTask: creates a missing task; an existing one is left as it is, without an error', async () => {
    const now = await f.store.now();
    const restored = await f.store.restoreDeclaredTask({
      definition: definition('kept', { source: 'decorator' }),
      nextRunAt: now + 1000,
      dueScore: now + 1000,
    });
    assert.equal(restored, true);
    const created = (await f.store.getTask('kept'))!;
    assert.deepEqual([created.enabled, created.nextRunAt], [true, now + 1000]);
    await f.store.setEnabled({ id: 'kept', enabled: false, nextRunAt: null, dueScore: null });
    const again = await f.store.restoreDeclaredTask({
      definition: definition('kept', { source: 'decorator', cron: '0 * * * *' }),
      nextRunAt: now + 2000,
      dueScore: now + 2000,
    });
    assert.equal(again, false);
    const task = (await f.store.getTask('kept'))!;
    assert.deepEqual([task.cron, task.enabled, task.nextRunAt, task.version], ['* * * * *', false, null, 2]);
  });

  it('getTask, listTasks: null for an unknown id; every task by id', async () => {
    assert.equal(await f.store.getTask('nobody'), null);
    assert.deepEqual(await f.store.listTasks(), []);
    for (const id of ['b', 'a', 'c'])
      await f.store.saveTask({
        definition: definition(id, { enabled: id !== 'c' }),
        nextRunAt: null,
        dueScore: null,
        mode: 'create',
      });
    const tasks = await f.store.listTasks();
    assert.deepEqual(
      tasks.map((task) => [task.id, task.enabled]),
      [
        ['a', true],
        ['b', true],
        ['c', false],
      ],
    );
  });

  it('setEnabled: NOT_FOUND for an unknown id; a version change that refuses older claim decisions; enabling sets the next fire', async () => {
    const unknown = await refusal(() => f.store.setEnabled({ id: 'nobody', enabled: true, nextRunAt: 1, dueScore: 1 }));
    assert.deepEqual([unknown.code, unknown.operation], [ErrorCode.NOT_FOUND, 'enableTask']);
    assert.equal(unknown.message, `enableTask: no scheduled task with id "nobody" in namespace "${NAMESPACE}"`);
    assert.equal(
      (await refusal(() => f.store.setEnabled({ id: 'nobody', enabled: false, nextRunAt: null, dueScore: null })))
        .operation,
      'disableTask',
    );
    const fireTime = await f.dueTask('toggled');
    const [due] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    const disabled = await f.store.setEnabled({ id: 'toggled', enabled: false, nextRunAt: null, dueScore: null });
    assert.deepEqual([disabled.enabled, disabled.nextRunAt, disabled.version], [false, null, 2]);
    assert.equal(
      (await f.store.setEnabled({ id: 'toggled', enabled: false, nextRunAt: null, dueScore: null })).version,
      2,
      'no change, no new version',
    );
    assert.deepEqual(
      await f
        .replica('a')
        .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [onTime(due)] }),
      [],
      'no run of a disabled task',
    );
    assert.deepEqual((await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates, []);
    const enabled = await f.store.setEnabled({
      id: 'toggled',
      enabled: true,
      nextRunAt: fireTime + 60_000,
      dueScore: fireTime + 60_500,
    });
    assert.deepEqual([enabled.enabled, enabled.nextRunAt, enabled.version], [true, fireTime + 60_000, 3]);
    assert.equal(await f.raw.zscore(`${BASE}:due:${WORKFLOW}`, 'toggled'), String(fireTime + 60_500));
    assert.equal(
      (await f.store.setEnabled({ id: 'toggled', enabled: true, nextRunAt: 1, dueScore: 1 })).nextRunAt,
      fireTime + 60_000,
      'an enabled task keeps its schedule',
    );
  });

  it('trigger: NOT_FOUND for an unknown id; one manual run now, on a disabled task too, the schedule untouched', async () => {
    const unknown = await refusal(() => f.store.trigger('nobody'));
    assert.deepEqual([unknown.code, unknown.operation], [ErrorCode.NOT_FOUND, 'triggerTask']);
    await f.store.saveTask({
      definition: definition('manual', { enabled: false }),
      nextRunAt: null,
      dueScore: null,
      mode: 'create',
    });
    const from = await f.store.now();
    await f.store.trigger('manual');
    const peek = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 });
    assert.deepEqual([peek.candidates.length, peek.pendingDue], [0, 1]);
    const [run] = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.deepEqual([run.kind, run.attempt], ['manual', 1]);
    assert.ok(run.scheduledAt >= from && run.scheduledAt <= run.startedAt);
    await f.replica('a').finish({
      taskId: 'manual',
      fence: run.fence,
      status: 'success',
    });
    const task = (await f.store.getTask('manual'))!;
    assert.deepEqual([task.enabled, task.nextRunAt, task.lastStatus, task.runCount], [false, null, 'success', 1]);
  });

  it('getRuns: NOT_FOUND for an unknown id; runs holding a lease first, then the history; at most limit', async () => {
    assert.equal((await refusal(() => f.store.getRuns('nobody', 5))).code, ErrorCode.NOT_FOUND);
    const fireTime = await f.dueTask('runs', { overlap: 'allow' });
    const [first] = await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 });
    await f.store.finish({
      taskId: 'runs',
      fence: first.fence,
      status: 'failed',
      error: 'bad input',
    });
    await f.claimDue(f.store, { nextRunAt: (fire) => fire + 60_000 });
    const runs = await f.store.getRuns('runs', 10);
    assert.deepEqual(
      runs.map((run) => [run.status, run.scheduledAt.getTime() - fireTime, run.attempt, run.error]),
      [
        ['running', 1, 1, null],
        ['retry', 0, 1, 'bad input'],
      ],
    );
    assert.equal(runs[1].durationMs, runs[1].finishedAt!.getTime() - runs[1].startedAt!.getTime());
    assert.equal(runs[1].instanceId, 'replica-a');
    assert.deepEqual(
      (await f.store.getRuns('runs', 1)).map((run) => run.status),
      ['running'],
    );
  });

  it('removeTask: false for an unknown id; a run in progress finishes unrecorded, and a task added again under its id is not touched by it', async () => {
    assert.equal(await f.store.removeTask('nobody'), false);
    await f.dueTask('doomed', { retry: { attempts: 3, backoffMs: 10 } });
    await f.store.trigger('doomed');
    const [run] = await f.claimDue(f.store);
    assert.equal(await f.store.removeTask('doomed'), true);
    assert.equal(await f.store.getTask('doomed'), null);
    assert.deepEqual(
      await f.raw.exists(`${BASE}:state`, `${BASE}:history`, `${BASE}:due:${WORKFLOW}`, `${BASE}:pending:${WORKFLOW}`),
      0,
    );
    assert.equal((await refusal(() => f.store.getRuns('doomed', 5))).code, ErrorCode.NOT_FOUND);

    await f.store.saveTask({ definition: definition('doomed'), nextRunAt: null, dueScore: null, mode: 'create' });
    const result = await f.store.finish({
      taskId: 'doomed',
      fence: run.fence,
      status: 'failed',
      error: 'x',
    });
    assert.deepEqual(
      result,
      { accepted: true, disabled: false, retryAt: null },
      'accepted, and no retry of a removed task',
    );
    const again = (await f.store.getTask('doomed'))!;
    assert.deepEqual([again.running, again.lastStatus, again.runCount, again.failureCount], [0, null, 0, 0]);
    assert.deepEqual(await f.store.getRuns('doomed', 5), []);
    assert.deepEqual(
      await f.replica('a').claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] }),
      [],
    );
    assert.deepEqual([await f.raw.zcard(`${BASE}:leases`), await f.raw.hlen(`${BASE}:runs`)], [0, 0]);
  });

  it('peek: only the given workflows, earliest due first, at most limit (then nextWakeAt is now); the earliest future time otherwise', async () => {
    const now = await f.store.now();
    await f.store.saveTask({ definition: definition('late'), nextRunAt: now - 10, dueScore: now - 10, mode: 'create' });
    await f.store.saveTask({
      definition: definition('early'),
      nextRunAt: now - 20,
      dueScore: now - 20,
      mode: 'create',
    });
    await f.store.saveTask({
      definition: definition('future'),
      nextRunAt: now + 50_000,
      dueScore: now + 50_000,
      mode: 'create',
    });
    await f.store.saveTask({
      definition: definition('elsewhere', { workflow: 'other' }),
      nextRunAt: now - 30,
      dueScore: now - 30,
      mode: 'create',
    });
    const one = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 1 });
    assert.deepEqual(
      one.candidates.map((due) => [due.task.id, due.fireTime]),
      [['early', now - 20]],
    );
    assert.equal(one.nextWakeAt, one.now, 'more is due than returned');
    const all = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 10 });
    assert.deepEqual(
      all.candidates.map((due) => due.task.id),
      ['early', 'late'],
    );
    assert.equal(all.nextWakeAt, now + 50_000);
    assert.deepEqual(all.lost, []);
    assert.equal((await f.replica('a').peek({ workflows: [], limit: 10 })).nextWakeAt, null);
  });

  it('replicas: every peek is a heartbeat; liveWorkflows names the workflows of the replicas seen within maxAge and forgets the others', async () => {
    await f.replica('a').peek({ workflows: ['w1', 'w2'], limit: 1 });
    await f.replica('b', { on: f.other }).peek({ workflows: [], limit: 1 });
    assert.deepEqual([...(await f.store.liveWorkflows(10_000))].sort(), ['w1', 'w2']);
    await sleep(300);
    await f.replica('c', { on: f.other }).peek({ workflows: ['w3'], limit: 1 });
    assert.deepEqual([...(await f.store.liveWorkflows(200))], ['w3']);
    assert.deepEqual(await f.raw.hkeys(`${BASE}:replicas`), ['c'], 'stale heartbeats are deleted');
  });

  it('the keys of a namespace carry its hash tag and follow the documented layout', async () => {
    await f.dueTask('k', { retry: { attempts: 2, backoffMs: 60_000 } });
    const [run] = await f.claimDue(f.store);
    assert.ok((await f.target.keys('*')).includes(`${BASE}:leases`));
    await f.store.finish({
      taskId: 'k',
      fence: run.fence,
      status: 'failed',
    });
    assert.deepEqual(await f.target.keys('*'), [
      `${BASE}:due:${WORKFLOW}`,
      `${BASE}:fence`,
      `${BASE}:history`,
      `${BASE}:pending:${WORKFLOW}`,
      `${BASE}:replicas`,
      `${BASE}:state`,
      `${BASE}:tasks`,
    ]);
    const [member] = await f.raw.zrange(`${BASE}:pending:${WORKFLOW}`, '0', '-1');
    const sequence = member.slice(`k|${run.scheduledAt}|2|retry|`.length);
    assert.equal(member, `k|${run.scheduledAt}|2|retry|${sequence}`);
    assert.ok(/^\d+$/.test(sequence) && Number(sequence) > run.fence, `a sequence after the run's token: ${member}`);
  });

  it('publishes every change of the task set on the changed channel (SPUBLISH on a cluster), or nothing when told', async () => {
    const cluster = f.raw.isCluster;
    assert.equal(f.store.publishCommand, cluster ? 'SPUBLISH' : 'PUBLISH');
    assert.equal(f.store.changedChannel, `${BASE}:changed`);
    const subscriber = cluster
      ? (f.raw as Cluster).duplicate([], { shardedSubscribers: true })
      : (f.raw as Redis).duplicate();
    const messages: string[] = [];
    subscriber.on(cluster ? 'smessage' : 'message', (_channel: string, message: string) => messages.push(message));
    try {
      if (cluster) await subscriber.ssubscribe(f.store.changedChannel);
      else await subscriber.subscribe(f.store.changedChannel);
      const now = await f.store.now();
      await f.store.saveTask({
        definition: definition('p', { retry: { attempts: 1, backoffMs: 1 }, maxConsecutiveFailures: 1 }),
        nextRunAt: now - 1,
        dueScore: now - 1,
        mode: 'create',
      });
      await f.store.setEnabled({ id: 'p', enabled: false, nextRunAt: null, dueScore: null });
      await f.store.setEnabled({ id: 'p', enabled: true, nextRunAt: now - 1, dueScore: now - 1 });
      await f.store.trigger('p');
      const [run] = await f.claimDue(f.store);
      await f.store.finish({
        taskId: 'p',
        fence: run.fence,
        status: 'failed',
      });
      await f.store.removeTask('p');
      const quiet = freshStore(f.raw, 'quiet', { publish: 'none' });
      await quiet.saveTask({ definition: definition('q'), nextRunAt: null, dueScore: null, mode: 'create' });
      await f.store.saveTask({ definition: definition('last'), nextRunAt: null, dueScore: null, mode: 'create' });
      await pollUntil('the last message', 5_000, async () =>
        messages.includes('saved|last') ? true : `got ${messages.join(', ')}`,
      );
      assert.deepEqual(messages, [
        'saved|p',
        'disabled|p',
        'enabled|p',
        'triggered|p',
        'disabled|p',
        'removed|p',
        'saved|last',
      ]);
    } finally {
      subscriber.disconnect();
    }
  });

  it('saveTask upsertDecorated and update: a change that keeps cron and time zone keeps the stored next fire (an overdue one still runs); a new cron recomputes it', async () => {
    const now = await f.store.now();
    const overdue = now - 120_000; // never claimed: every replica was down
    const later = now + 60_000; // what the runtime would compute from now
    await f.store.saveTask({
      definition: definition('report', { source: 'decorator' }),
      nextRunAt: overdue,
      dueScore: overdue,
      mode: 'upsertDecorated',
    });
    const deployed = await f.store.saveTask({
      definition: definition('report', { source: 'decorator', retry: { attempts: 5, backoffMs: 1_000 }, jitterMs: 5 }),
      nextRunAt: later,
      dueScore: later,
      mode: 'upsertDecorated',
    });
    assert.deepEqual([deployed.changed, deployed.task.retry.attempts], [true, 5]);
    assert.equal(deployed.task.nextRunAt, overdue, 'the overdue fire is kept');
    assert.equal(await f.raw.zscore(`${BASE}:due:${WORKFLOW}`, 'report'), String(overdue), 'and its due entry');
    const [candidate] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    assert.equal(candidate?.fireTime, overdue, 'still due: it will run or be recorded missed');

    // The runtime passes the kept fire with the new jitter's due score: that score is written.
    await f.store.saveTask({
      definition: definition('report', { source: 'decorator', payload: { v: 2 } }),
      nextRunAt: overdue,
      dueScore: overdue + 3,
      mode: 'upsertDecorated',
    });
    assert.equal(await f.raw.zscore(`${BASE}:due:${WORKFLOW}`, 'report'), String(overdue + 3));

    const current = (await f.store.getTask('report'))!;
    const updated = await f.store.saveTask({
      definition: definition('report', { source: 'decorator', payload: { v: 3 } }),
      nextRunAt: later,
      dueScore: later,
      mode: 'update',
      expectedVersion: current.version,
    });
    assert.equal(updated.task.nextRunAt, overdue, 'update keeps it too');

    const recomputed = await f.store.saveTask({
      definition: definition('report', { source: 'decorator', cron: '0 * * * *' }),
      nextRunAt: later,
      dueScore: later,
      mode: 'upsertDecorated',
    });
    assert.deepEqual([recomputed.task.cron, recomputed.task.nextRunAt], ['0 * * * *', later], 'a new cron: from now');
    const rezoned = await f.store.saveTask({
      definition: definition('report', { source: 'decorator', cron: '0 * * * *', timeZone: 'Europe/Berlin' }),
      nextRunAt: later + 1,
      dueScore: later + 1,
      mode: 'upsertDecorated',
    });
    assert.equal(rezoned.task.nextRunAt, later + 1, 'a new time zone: from now');
  });

  it('saveTask update enabling a disabled task resets failureCount and takes the next fire from now, as setEnabled does', async () => {
    const now = await f.store.now();
    await failUntilDisabled(definition('fragile', FRAGILE), now, 'create');
    const disabled = (await f.store.getTask('fragile'))!;
    assert.deepEqual([disabled.enabled, disabled.failureCount], [false, 1]);
    const enabled = await f.store.saveTask({
      definition: definition('fragile', FRAGILE),
      nextRunAt: now + 60_000,
      dueScore: now + 60_000,
      mode: 'update',
      expectedVersion: disabled.version,
    });
    assert.deepEqual(
      [enabled.task.enabled, enabled.task.failureCount, enabled.task.nextRunAt],
      [true, 0, now + 60_000],
    );
  });

  it('restoreDeclaredTask (reconnect) restores a declared task only when Redis lost it, not one removed on purpose', async () => {
    const now = await f.store.now();
    const declared = definition('nightly', { source: 'decorator' });
    await f.store.saveTask({
      definition: declared,
      nextRunAt: now + 1000,
      dueScore: now + 1000,
      mode: 'upsertDecorated',
    });
    assert.equal(await f.store.removeTask('nightly'), true);
    assert.equal(
      await f.store.restoreDeclaredTask({ definition: declared, nextRunAt: now + 2000, dueScore: now + 2000 }),
      false,
    );
    assert.equal(await f.store.getTask('nightly'), null, 'a removed declared task stays removed until the next deploy');

    await f.target.flush(); // Redis restarted without its data
    assert.equal(
      await f.store.restoreDeclaredTask({ definition: declared, nextRunAt: now + 3000, dueScore: now + 3000 }),
      true,
    );
    assert.equal((await f.store.getTask('nightly'))?.nextRunAt, now + 3000);
    assert.equal(await f.store.removeTask('nightly'), true);
    assert.equal(
      await f.store.restoreDeclaredTask({ definition: declared, nextRunAt: now, dueScore: now }),
      false,
      'removed again',
    );

    const redeployed = await f.store.saveTask({
      definition: declared,
      nextRunAt: now + 4000,
      dueScore: now + 4000,
      mode: 'upsertDecorated',
    });
    assert.deepEqual([redeployed.changed, redeployed.task.nextRunAt], [true, now + 4000], 'a deploy brings it back');
  });
});
