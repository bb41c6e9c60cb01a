import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ScriptRunner } from '../../../lib/core/scripts/script-runner';
import type { ClaimDecision } from '../../../lib/scheduler/store/scheduler-store.interface';
import { describeOnTargets } from '../../harness/redis-target';
import { sleep } from '../../harness/wait';
import { ahead, BASE, onTime, useStoreFixture, WORKFLOW } from './store-fixture';

/** The look-ahead window of these tests: a fire due within it may be claimed before its time. */
const LOOK_AHEAD_MS = 2_000;
/** How far ahead the fires of these tests are due: inside the window, and long enough to look at them first. */
const AHEAD_MS = 600;

describeOnTargets('SchedulerStore claim ahead', (target) => {
  const f = useStoreFixture(target);

  const peekAhead = (lookAheadMs: number, limit = 5) =>
    f.replica('a', { lookAheadMs }).peek({ workflows: [WORKFLOW], limit });
  const claimAhead = (decisions: ClaimDecision[], lookAheadMs = LOOK_AHEAD_MS) =>
    f.replica('a', { lookAheadMs }).claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions });

  it('a fire due within the window is returned by peek and claimed ahead: it starts, and its lease runs, from its time', async () => {
    const fireTime = await f.dueTask('soon', {}, -AHEAD_MS);
    assert.deepEqual((await peekAhead(0)).candidates, [], 'without a window, a fire ahead is not due');
    const peek = await peekAhead(LOOK_AHEAD_MS);
    assert.deepEqual(
      peek.candidates.map((due) => [due.task.id, due.fireTime]),
      [['soon', fireTime]],
    );
    assert.ok(peek.now < fireTime);

    const [run, ...more] = await claimAhead(peek.candidates.map(ahead));
    assert.deepEqual(more, []);
    assert.equal(run.scheduledAt, fireTime);
    assert.equal(run.startedAt, fireTime, 'starts at its time, not at the claim');
    assert.ok(run.claimedAt < fireTime, `claimed at ${run.claimedAt}, before its time ${fireTime}`);
    assert.equal(Number(await f.raw.zscore(`${BASE}:leases`, `soon|${run.fence}`)), fireTime + 30_000);
    const task = await f.store.getTask('soon');
    assert.equal(task?.nextRunAt, fireTime + 60_000);
    assert.equal(task?.running, 1, 'a run claimed ahead holds its place');
  });

  it('fires due now are read apart from those due later: many due later never hide one due now', async () => {
    // Review of issue 17: one window over both let 300 fires due later push 2 overdue ones out of a look.
    const overdue = ['late-1', 'late-2'];
    for (const id of overdue) await f.dueTask(id, {}, 200);
    for (let i = 0; i < 300; i++) await f.dueTask(`later-${i}`, {}, -AHEAD_MS);
    for (const windowAt of [0, 0.5, 0.99]) {
      const peek = await f
        .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
        .peek({ workflows: [WORKFLOW], limit: 3, aheadLimit: 5, windowAt, heartbeatMaxAgeMs: 0 });
      const dueNow = peek.candidates.filter((due) => due.fireTime <= peek.now).map((due) => due.task.id);
      assert.deepEqual(dueNow.sort(), overdue, `window at ${windowAt}: both fires due now are returned`);
      assert.equal(peek.candidates.length - dueNow.length, 5, 'and as many due later as asked for');
    }
  });

  it('a fire ahead is not claimed without its due score, nor beyond the window', async () => {
    const fireTime = await f.dueTask('later', {}, -AHEAD_MS);
    const [candidate] = (await peekAhead(LOOK_AHEAD_MS)).candidates;
    assert.deepEqual(await claimAhead([onTime(candidate)]), [], 'no dueAt: only once due');
    assert.deepEqual(await claimAhead([ahead(candidate)], AHEAD_MS / 4), [], 'beyond the window');
    assert.equal((await f.store.getTask('later'))?.nextRunAt, fireTime, 'left untouched');
  });

  it('beyond the window, peek wakes half a window before the next fire: one look then claims half a window of fires', async () => {
    const fireTime = await f.dueTask('far', {}, -(LOOK_AHEAD_MS + 3_000));
    const peek = await peekAhead(LOOK_AHEAD_MS);
    assert.deepEqual(peek.candidates, []);
    assert.equal(peek.nextWakeAt, fireTime - LOOK_AHEAD_MS / 2);
  });

  it('a fire ahead of a task with a run in progress is left to its time: overlap is decided then, not ahead', async () => {
    const fireTime = await f.dueTask('busy', { overlap: 'skip' });
    const nextFire = (await f.store.now()) + AHEAD_MS;
    const [first] = await f.claimDue(f.store, { nextRunAt: () => nextFire });
    assert.equal(first.scheduledAt, fireTime);

    const peek = await peekAhead(LOOK_AHEAD_MS);
    assert.deepEqual(peek.candidates, [], 'not returned while its task runs');
    assert.equal(peek.nextWakeAt, nextFire, 'a look is due at its time');
    const decision: ClaimDecision = {
      taskId: 'busy',
      expectedFireTime: nextFire,
      version: first.task.version,
      runAt: nextFire,
      missed: [],
      nextRunAt: nextFire + 60_000,
      nextDueScore: nextFire + 60_000,
      dueAt: nextFire,
    };
    assert.deepEqual(await claimAhead([decision]), []);
    const task = await f.store.getTask('busy');
    assert.equal(task?.nextRunAt, nextFire, 'left untouched');
    assert.equal(task?.lastStatus, 'running', 'not recorded skipped ahead of its time');
  });

  it('a pending run of a task claimed ahead waits until the ahead run has started: fencing tokens follow the starts', async () => {
    await f.dueTask('ordered', { overlap: 'allow' }, -AHEAD_MS);
    const [claimed] = await claimAhead((await peekAhead(LOOK_AHEAD_MS)).candidates.map(ahead));
    await f.store.trigger('ordered');
    assert.deepEqual(await claimAhead([]), [], 'the manual run waits for the run claimed ahead');
    await sleep(claimed.startedAt - (await f.store.now()) + 100);
    assert.deepEqual(await claimAhead([]), [], 'its time has come, but its start is not confirmed yet');
    const leaseMs = claimed.leaseMs;
    assert.equal(
      (await f.replica('a').confirmStart({ taskId: 'ordered', fence: claimed.fence, leaseMs, leadMs: 0 })).started,
      true,
    );
    const [manual] = await claimAhead([]);
    assert.equal(manual.kind, 'manual');
    assert.ok(manual.fence > claimed.fence);
    assert.ok(manual.startedAt > claimed.startedAt);
  });

  it('peek: when more fires are due than asked for, windowAt places the window, so replicas ask for different fires', async () => {
    for (let i = 0; i < 10; i++) await f.dueTask(`herd-${i}`, {}, 100);
    const window = async (windowAt: number) =>
      (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 3, windowAt })).candidates.map((due) => due.task.id);
    const first = await window(0);
    const last = await window(0.999);
    assert.equal(first.length, 3);
    assert.equal(last.length, 3);
    assert.deepEqual(
      first.filter((id) => last.includes(id)),
      [],
      `${first} and ${last} overlap`,
    );
  });

  it('finish: the runs that end in the same tick are recorded in one call, each with its own result', async () => {
    for (const id of ['f1', 'f2', 'f3']) await f.dueTask(id);
    const runs = await f.claimDue(f.store);
    assert.equal(runs.length, 3);
    const scripts = (f.store as unknown as { scripts: ScriptRunner }).scripts;
    const run = scripts.run.bind(scripts);
    const calls: string[] = [];
    scripts.run = (name, keys, args) => {
      calls.push(name);
      return run(name, keys, args);
    };
    try {
      const results = await Promise.all(
        runs.map((claimed, i) =>
          f.store.finish({
            taskId: claimed.taskId,
            // The second one with a token that is not its run's: refused, the others accepted.
            fence: i === 1 ? claimed.fence + 1_000 : claimed.fence,
            status: 'success',
          }),
        ),
      );
      assert.deepEqual(calls, ['schedulerFinishRun']);
      assert.deepEqual(
        results.map((result) => result.accepted),
        [true, false, true],
      );
    } finally {
      scripts.run = run;
    }
    const statuses = await Promise.all(
      runs.map(async (claimed) => (await f.store.getRuns(claimed.taskId, 5))[0].status),
    );
    assert.deepEqual(statuses, ['success', 'running', 'success']);
  });
});
