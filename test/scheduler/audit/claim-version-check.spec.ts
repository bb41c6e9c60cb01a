import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ClaimDecision, DueCandidate } from '../../../lib/scheduler/store/scheduler-store.interface';
import type { StoredTaskDefinition } from '../../../lib/scheduler/store/stored-task.interface';
import { describeOnTargets } from '../../harness/redis-target';
import { definition, onTime, useStoreFixture, WORKFLOW } from '../store/store-fixture';

/*
 * Test audit (issue 17): the claim checks the version a decision was made on, not only the next fire. A
 * payload-only update keeps the stored next fire, so a replica that peeked before it holds a decision whose
 * fire time still matches: only the version tells that the definition changed. Such a claim must start no
 * run (the old payload must never run); a decision made after the update runs the new definition.
 * Through the store's methods only (the key layout is not looked at).
 */

/** How far ahead the ahead case's fire is due: inside the look-ahead window, long enough to update it first. */
const AHEAD_MS = 1_500;
const LOOK_AHEAD_MS = 3_000;

describeOnTargets('claim checks the version of its decision (payload-only update, same next fire)', (target) => {
  const f = useStoreFixture(target);

  const ahead = (candidate: DueCandidate): ClaimDecision => ({ ...onTime(candidate), dueAt: candidate.fireTime });

  /** A payload-only update of `id` (same cron and time zone): the stored next fire is kept. */
  async function updatePayload(id: string, payload: unknown, fireTime: number) {
    const stored = await f.store.getTask(id);
    assert.ok(stored, `task ${id} exists`);
    const changed: StoredTaskDefinition = { ...definition(id), payload };
    const saved = await f.store.saveTask({
      definition: changed,
      nextRunAt: fireTime,
      dueScore: fireTime,
      mode: 'update',
      expectedVersion: stored.version,
    });
    assert.equal(saved.changed, true, 'the update was written');
    assert.equal(saved.task.nextRunAt, fireTime, 'a payload-only update keeps the next fire');
    assert.equal(saved.task.version, stored.version + 1, 'a new version');
    return saved.task;
  }

  it('a fire due now: the stale decision starts no run; a fresh one runs the new payload', async () => {
    const fireTime = await f.dueTask('report', { payload: { table: 'old' } });
    const peek = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 });
    assert.deepEqual(
      peek.candidates.map((due) => [due.task.id, due.fireTime]),
      [['report', fireTime]],
    );
    const [stale] = peek.candidates;
    await updatePayload('report', { table: 'new' }, fireTime);

    const claimed = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [onTime(stale)] });
    assert.deepEqual(
      claimed.map((run) => [run.taskId, run.scheduledAt, JSON.stringify(run.task.payload)]),
      [],
      'a decision on the old version started a run',
    );
    const untouched = await f.store.getTask('report');
    assert.equal(untouched?.nextRunAt, fireTime, 'the fire is still due');
    assert.equal(untouched?.running, 0);
    assert.equal(untouched?.runCount, 0);
    assert.deepEqual(await f.store.getRuns('report', 10), [], 'nothing recorded for the stale decision');

    // The next look decides on the new version: the same fire runs, once, with the new payload.
    const [run, ...more] = await f.claimDue(f.store);
    assert.deepEqual(more, []);
    assert.equal(run.scheduledAt, fireTime);
    assert.deepEqual(run.task.payload, { table: 'new' });
    assert.deepEqual(await f.claimDue(f.other, { instanceId: 'replica-b' }), [], 'not run twice');
  });

  it('a fire claimed ahead: the stale decision is not claimed ahead either', async () => {
    const fireTime = await f.dueTask('soon', { payload: { v: 1 } }, -AHEAD_MS);
    const peek = await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 });
    assert.deepEqual(
      peek.candidates.map((due) => due.fireTime),
      [fireTime],
    );
    assert.ok(peek.now < fireTime, 'looked at ahead of its time');
    const [stale] = peek.candidates;
    await updatePayload('soon', { v: 2 }, fireTime);

    const claimed = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [ahead(stale)] });
    assert.deepEqual(
      claimed.map((run) => [run.taskId, run.scheduledAt, run.startedAt]),
      [],
      'a decision on the old version was claimed ahead',
    );
    const task = await f.store.getTask('soon');
    assert.equal(task?.nextRunAt, fireTime);
    assert.equal(task?.running, 0, 'no run holds its place');

    const [fresh] = (await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 }))
      .candidates;
    const [run] = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [ahead(fresh)] });
    assert.equal(run?.scheduledAt, fireTime, 'a decision on the new version is claimed ahead');
    assert.equal((await f.store.getTask('soon'))?.running, 1);
  });
});
