import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ScriptRunner } from '../../../lib/core/scripts/script-runner';
import { SchedulerStore } from '../../../lib/scheduler/store/scheduler-store';
import { schedulerKeys } from '../../../lib/scheduler/store/scheduler-keys';
import type { ClaimDecision, ClaimedRun } from '../../../lib/scheduler/store/scheduler-store.interface';
import { START_WINDOW_MS } from '../../../lib/scheduler/store/start-window';
import { describeOnTargets } from '../../harness/redis-target';
import { sleep } from '../../harness/wait';
import { ahead, BASE, definition, freshStore, onTime, useStoreFixture, WORKFLOW } from './store-fixture';

/** The look-ahead window of these tests, and how far ahead their fires are due (inside it). */
const LOOK_AHEAD_MS = 5_000;
const AHEAD_MS = 3_000;

/*
 * SCHEDULER.md: a run claimed ahead starts only after its start is confirmed in Redis (task present, same
 * version, enabled, lease held), and after removeTask/disableTask/updateTask returns no handler starts for the
 * old definition. With overlap skip/bufferOne a waiting retry counts as a run. Every script declares every key.
 */
describeOnTargets('SchedulerStore start confirmation, overlap of retries, declared keys', (target) => {
  const f = useStoreFixture(target);

  async function claimAhead(id: string, overrides = {}): Promise<ClaimedRun> {
    const fireTime = await f.dueTask(id, overrides, -AHEAD_MS);
    const peek = await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 });
    const [run] = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: peek.candidates.map(ahead) });
    assert.equal(run?.startedAt, fireTime, 'claimed ahead');
    return run;
  }
  const confirm = async (run: ClaimedRun, instanceId = 'a') => {
    const { started, startedAt } = await f.replica(instanceId).confirmStart({ ...run, leadMs: 0 });
    return { started: [started], now: startedAt };
  };
  /** Confirms once Redis's clock has reached the run's start time. */
  const confirmAtItsTime = async (run: ClaimedRun) => {
    await sleep(Math.max(run.startedAt - (await f.store.now()), 0) + 5);
    return confirm(run);
  };

  it("a start asked for before its time on Redis's clock is not confirmed yet: it is told how long to wait", async () => {
    const run = await claimAhead('early');
    const before = await f.store.now();
    const answer = await f.replica('a').confirmStart({ ...run, leadMs: 0 });
    assert.equal(answer.started, false);
    assert.ok(
      answer.notYetMs !== undefined && answer.notYetMs > 0 && answer.notYetMs <= run.startedAt - before,
      `wait ${answer.notYetMs} ms, ${run.startedAt - before} ms before its time`,
    );
    const [running] = await f.store.getRuns('early', 1);
    assert.equal(running.startedAt?.getTime(), run.startedAt, 'nothing recorded as started');
    assert.deepEqual((await confirmAtItsTime(run)).started, [true]);
  });

  it('a confirmed start records Redis now as the run start and holds the lease from then', async () => {
    const run = await claimAhead('confirmed');
    const { now, started } = await confirmAtItsTime(run);
    assert.deepEqual(started, [true]);
    const [running] = await f.store.getRuns('confirmed', 1);
    assert.equal(running.status, 'running');
    assert.equal(running.startedAt?.getTime(), now, 'the real start, not the planned one');
    assert.deepEqual((await confirm(run, 'b')).started, [false], "another replica's run is not confirmed");
  });

  it('a start confirmed within the lead, before its time, starts in Redis at its time: lease and record from then', async () => {
    const run = await claimAhead('lead');
    const leadMs = AHEAD_MS + 1_000;
    const before = await f.store.now();
    const answer = await f.replica('a').confirmStart({ ...run, leadMs });
    assert.equal(answer.started, true);
    assert.ok(answer.startedAt < run.startedAt, 'confirmed before its time');
    const [running] = await f.store.getRuns('lead', 1);
    assert.equal(running.startedAt?.getTime(), run.startedAt, 'recorded at its time, not at the confirmation');
    const expiry = Number(await f.raw.zscore(`${BASE}:leases`, `lead|${run.fence}`));
    assert.equal(expiry, run.startedAt + run.leaseMs, 'the lease runs from its time');
    // Asked again (its replica paused): its lease only, never shortened to now + leaseMs.
    assert.equal((await f.replica('a').confirmStart({ ...run, leadMs })).started, true);
    assert.ok(Number(await f.raw.zscore(`${BASE}:leases`, `lead|${run.fence}`)) >= expiry);
    assert.ok(before < run.startedAt);
  });

  it('a start asked for before its lead is told how long to wait until the lead begins', async () => {
    const run = await claimAhead('before-lead');
    const leadMs = 1_000;
    const before = await f.store.now();
    const answer = await f.replica('a').confirmStart({ ...run, leadMs });
    assert.equal(answer.started, false);
    const untilLead = run.startedAt - leadMs - before;
    assert.ok(
      answer.notYetMs !== undefined && answer.notYetMs > 0 && answer.notYetMs <= untilLead,
      `wait ${answer.notYetMs} ms, ${untilLead} ms before its lead`,
    );
  });

  /** An update of task `id`'s payload (no next fire given: it keeps its own). */
  const updatePayload = (id: string) =>
    f.store.saveTask({
      definition: definition(id, { payload: { v: 2 } }),
      nextRunAt: null,
      dueScore: null,
      mode: 'update',
    });

  for (const [change, apply] of [
    ['updateTask (payload)', updatePayload],
    ['disableTask', (id: string) => f.store.setEnabled({ id, enabled: false, nextRunAt: null, dueScore: null })],
    ['removeTask', (id: string) => f.store.removeTask(id)],
  ] as const) {
    it(`${change} after a start confirmed ahead returns only once that run has started in Redis`, async () => {
      const fireTime = await f.dueTask('waited', {}, -800);
      const peek = await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 });
      const [run] = await f
        .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
        .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: peek.candidates.map(ahead) });
      assert.equal(run?.startedAt, fireTime, 'claimed ahead');
      assert.equal((await f.replica('a').confirmStart({ ...run, leadMs: 5_000 })).started, true);
      assert.ok((await f.store.now()) < run.startedAt, 'confirmed before its time');
      await apply('waited');
      const returnedAt = await f.store.now();
      assert.ok(returnedAt >= run.startedAt, `returned at ${returnedAt}, before the start at ${run.startedAt}`);
    });
  }

  for (const [change, apply] of [
    ['updateTask (payload)', updatePayload],
    [
      'updateTask (enabled false)',
      (id: string) =>
        f.store.saveTask({
          definition: definition(id, { enabled: false }),
          nextRunAt: null,
          dueScore: null,
          mode: 'update',
        }),
    ],
    [
      'updateTask (cron)',
      (id: string) =>
        f.store.saveTask({
          definition: definition(id, { cron: '0 0 1 1 *' }),
          nextRunAt: null,
          dueScore: null,
          mode: 'update',
        }),
    ],
    ['disableTask', (id: string) => f.store.setEnabled({ id, enabled: false, nextRunAt: null, dueScore: null })],
    ['removeTask', (id: string) => f.store.removeTask(id)],
  ] as const) {
    it(`${change} after a claim ahead: the start is refused, and the old definition never runs`, async () => {
      const run = await claimAhead('changed');
      await apply('changed');
      assert.deepEqual((await confirm(run)).started, [false]);
      const runs = await f.store.getRuns('changed', 5).catch(() => []);
      assert.deepEqual(
        runs.filter((entry) => entry.status === 'running'),
        [],
        'no lease is left behind',
      );
    });
  }

  it('a change that did not cancel the run claimed ahead (a writer of another version) still refuses its start', async () => {
    const run = await claimAhead('raced');
    const state = JSON.parse((await f.raw.hget(`${BASE}:state`, 'raced')) as string) as { version: number };
    await f.raw.hset(`${BASE}:state`, 'raced', JSON.stringify({ ...state, version: state.version + 1 }));
    assert.deepEqual((await confirm(run)).started, [false]);
    assert.equal(await f.raw.zcard(`${BASE}:leases`), 0, 'its lease is released');
  });

  it('updateTask that keeps the schedule puts the cancelled fire back: it runs once, with the new definition', async () => {
    const run = await claimAhead('requeued');
    const saved = await f.store.saveTask({
      definition: definition('requeued', { payload: { v: 2 } }),
      nextRunAt: null,
      dueScore: null,
      mode: 'update',
    });
    assert.equal(saved.task.nextRunAt, run.scheduledAt, 'the fire claimed ahead is due again');
    const peek = await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 });
    assert.deepEqual(
      peek.candidates.map((due) => [due.task.id, due.fireTime, due.task.version]),
      [['requeued', run.scheduledAt, saved.task.version]],
    );
    const [again] = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: peek.candidates.map(ahead) });
    assert.equal(again.scheduledAt, run.scheduledAt);
    assert.ok(again.fence > run.fence);
    assert.deepEqual((await confirmAtItsTime(again)).started, [true]);
  });

  it("a change of a task whose run started at its claim returns once that run's start window has passed", async () => {
    await f.dueTask('window');
    const [run] = await f.claimDue(f.store, { instanceId: 'a' });
    await f.store.saveTask({
      definition: definition('window', { payload: { v: 2 } }),
      nextRunAt: null,
      dueScore: null,
      mode: 'update',
    });
    const returnedAt = await f.store.now();
    assert.ok(
      returnedAt >= run.claimedAt + START_WINDOW_MS,
      `returned ${returnedAt - run.claimedAt} ms after the claim, within the ${START_WINDOW_MS} ms start window`,
    );
  });

  it('a run started at its claim, asked about again past its start window, starts if its task is unchanged', async () => {
    await f.dueTask('due-late');
    const [run] = await f.claimDue(f.store, { instanceId: 'a' });
    const { started } = await f.replica('a').confirmStart({ ...run, leadMs: 0 });
    assert.equal(started, true);
    const [entry] = await f.store.getRuns('due-late', 1);
    assert.equal(entry.status, 'running');
    assert.equal(entry.startedAt?.getTime(), run.claimedAt, 'its start stays the claim');
  });

  it('a run started at its claim whose task changed before it was asked about again is given back: it runs for the new definition', async () => {
    const fireTime = await f.dueTask('due-changed');
    const [run] = await f.claimDue(f.store, { instanceId: 'a' });
    await f.store.saveTask({
      definition: definition('due-changed', { payload: { v: 2 } }),
      nextRunAt: null,
      dueScore: null,
      mode: 'update',
    });
    const { started } = await f.replica('a').confirmStart({ ...run, leadMs: 0 });
    assert.equal(started, false, 'its handler must not start: the change returned');
    assert.equal(await f.raw.zcard(`${BASE}:leases`), 0, 'its lease released');
    const [again] = await f.claimDue(f.store, { instanceId: 'b' });
    assert.equal(again?.scheduledAt, fireTime, 'the same fire, due again');
    assert.ok(again.fence > run.fence);
    assert.deepEqual(again.task.payload, { v: 2 });
    assert.equal(again.attempt, 1, 'no attempt used');
  });

  it('a run claimed ahead confirmed after a later run of its task started (its replica paused) is given back: tokens follow starts', async () => {
    const run = await claimAhead('superseded', { overlap: 'allow' });
    // Its replica pauses past its time; the task's next fire (due 10 ms after it) is claimed when due by another
    // replica and starts at once.
    await sleep(Math.max(run.startedAt - (await f.store.now()), 0) + 30);
    const nextFire = run.scheduledAt + 10;
    const stored = JSON.parse((await f.raw.hget(`${BASE}:state`, 'superseded')) as string) as object;
    await f.raw.hset(`${BASE}:state`, 'superseded', JSON.stringify({ ...stored, nextRunAt: nextFire }));
    const decision: ClaimDecision = {
      taskId: 'superseded',
      expectedFireTime: nextFire,
      version: run.task.version,
      runAt: nextFire,
      missed: [],
      nextRunAt: nextFire + 60_000,
      nextDueScore: nextFire + 60_000,
    };
    const [later] = await f
      .replica('b', { on: f.other })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [decision] });
    assert.ok(later && later.fence > run.fence && later.startedAt === later.claimedAt, 'a later run started');

    assert.deepEqual((await confirm(run)).started, [false], 'the earlier token does not start after the later one');
    const peek = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 });
    assert.equal(peek.pendingDue, 1, 'its fire waits as a retry of the same attempt');
    const [again] = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.deepEqual([again.scheduledAt, again.attempt, again.kind], [run.scheduledAt, 1, 'retry']);
    assert.ok(again.fence > later.fence, 'with a token above the run that started first');
  });

  it("updateTask that changes the schedule cancels the fire claimed ahead; the new schedule's fire at that same time runs", async () => {
    const run = await claimAhead('recron');
    // The new cron fires at the same instant: that fire is the new definition's, not the cancelled one.
    const saved = await f.store.saveTask({
      definition: definition('recron', { cron: '* * * * * *' }),
      nextRunAt: run.scheduledAt,
      dueScore: run.scheduledAt,
      mode: 'update',
    });
    assert.equal(saved.task.nextRunAt, run.scheduledAt);
    const peek = await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 });
    const [again] = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: peek.candidates.map(ahead) });
    assert.equal(again?.scheduledAt, run.scheduledAt, 'the new schedule fires at that time');
    assert.equal(again.task.version, saved.task.version);
    assert.deepEqual((await confirmAtItsTime(again)).started, [true]);
  });

  it('a run claimed ahead whose start was never confirmed is given back once its lease expires: same attempt, no record', async () => {
    const fireTime = await f.dueTask('unconfirmed', { retry: { attempts: 1, backoffMs: 10 } }, -100);
    const peek = await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 });
    await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 600, decisions: peek.candidates.map(ahead) });
    await sleep(1_000);
    const reaped = await f.replica('b', { on: f.other }).peek({ workflows: [WORKFLOW], limit: 5 });
    assert.deepEqual(
      reaped.lost.map((lost) => [lost.taskId, lost.attempt]),
      [['unconfirmed', 1]],
    );
    assert.deepEqual(await f.store.getRuns('unconfirmed', 5), [], 'it never ran: nothing recorded');
    const [again] = await f.claimDue(f.other, { instanceId: 'b' });
    assert.deepEqual([again.kind, again.scheduledAt, again.attempt], ['scheduled', fireTime, 1]);
  });

  it('one run claimed ahead per task: a later fire within the window waits for the first to start', async () => {
    const fireTime = await f.dueTask('often', { overlap: 'allow' }, -AHEAD_MS);
    const [candidate] = (await f.replica('a', { lookAheadMs: LOOK_AHEAD_MS }).peek({ workflows: [WORKFLOW], limit: 5 }))
      .candidates;
    const first = { ...ahead(candidate), nextRunAt: fireTime + 1_000, nextDueScore: fireTime + 1_000 };
    const [run] = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [first] });
    assert.equal(run.scheduledAt, fireTime);
    const second: ClaimDecision = {
      ...first,
      expectedFireTime: fireTime + 1_000,
      runAt: fireTime + 1_000,
      dueAt: fireTime + 1_000,
      nextRunAt: fireTime + 2_000,
      nextDueScore: fireTime + 2_000,
    };
    assert.deepEqual(
      await f
        .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
        .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [second] }),
      [],
    );
    await f.store.trigger('often');
    await confirmAtItsTime(run);
    const claimed = await f
      .replica('a', { lookAheadMs: LOOK_AHEAD_MS })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [second] });
    assert.deepEqual(
      claimed.map((c) => c.kind),
      ['manual', 'scheduled'],
      'once the first started: the waiting trigger first, then the next fire ahead',
    );
  });

  it('a run confirmed ahead holds back a pending run of its task until its time: tokens follow the starts', async () => {
    // Review of issue 17: the confirmation cleared the "claimed ahead" mark 100 ms before the run's time, and a
    // manual run claimed meanwhile started first with a higher token (overlap allow).
    const run = await claimAhead('held', { overlap: 'allow' });
    assert.equal((await f.replica('a').confirmStart({ ...run, leadMs: AHEAD_MS + 1_000 })).started, true);
    await f.store.trigger('held');
    assert.deepEqual(await f.claimDue(f.store, { instanceId: 'b' }), [], 'the manual run waits for the confirmed one');
    await sleep(Math.max(run.startedAt - (await f.store.now()), 0) + 5);
    const [manual] = await f.claimDue(f.store, { instanceId: 'b' });
    assert.equal(manual?.kind, 'manual', 'claimed once the confirmed run reached its time');
    assert.ok(manual.fence > run.fence);
  });

  it('a run asked about again past its start window is given back when a later run of its task started', async () => {
    const run = await claimAhead('overtaken', { overlap: 'allow' });
    await confirmAtItsTime(run);
    await f.store.trigger('overtaken');
    const [manual] = await f.claimDue(f.store, { instanceId: 'b' });
    assert.ok(manual.fence > run.fence, 'a later run started');
    const { started } = await f.replica('a').confirmStart({ ...run, leadMs: 0 });
    assert.equal(started, false, 'the earlier token must not start after it');
  });

  it('a second disableTask racing the first returns once the start window has ended, like the first', async () => {
    const run = await claimAhead('twice');
    assert.equal((await f.replica('a').confirmStart({ ...run, leadMs: AHEAD_MS + 1_000 })).started, true);
    // Sent together: the second finds the task disabled already, and must not return before the first.
    const returnedAt = await Promise.all(
      [1, 2].map(async () => {
        await f.store.setEnabled({ id: 'twice', enabled: false, nextRunAt: null, dueScore: null });
        return f.store.now();
      }),
    );
    for (const at of returnedAt) assert.ok(at >= run.startedAt + START_WINDOW_MS, `returned at ${at}, too early`);
  });

  it('a second removeTask racing the first finds the task gone and still returns once the start window has ended', async () => {
    const run = await claimAhead('gone');
    assert.equal((await f.replica('a').confirmStart({ ...run, leadMs: AHEAD_MS + 1_000 })).started, true);
    const removals = await Promise.all(
      [1, 2].map(async () => ({ removed: await f.store.removeTask('gone'), at: await f.store.now() })),
    );
    assert.deepEqual(removals.map((removal) => removal.removed).sort(), [false, true]);
    for (const { at } of removals) assert.ok(at >= run.startedAt + START_WINDOW_MS, `returned at ${at}, too early`);
    // Once that window has ended, a look forgets it.
    await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 });
    assert.equal(await f.raw.zcard(`${BASE}:removed`), 0);
  });

  it('a run given back unstarted uses no attempt and records nothing: its fire is back in the schedule', async () => {
    const run = await claimAhead('given-back', { retry: { attempts: 1, backoffMs: 10 } });
    const result = await f.replica('a').finish({
      taskId: 'given-back',
      fence: run.fence,
      status: 'unstarted',
    });
    assert.deepEqual([result.accepted, result.retryAt], [true, run.startedAt], 'due again at its time, not before');
    assert.deepEqual(await f.store.getRuns('given-back', 5), [], 'no attempt recorded');
    assert.equal((await f.store.getTask('given-back'))?.nextRunAt, run.scheduledAt, 'as if never claimed');
    await sleep(Math.max(run.startedAt - (await f.store.now()), 0) + 5);
    const [again] = await f.claimDue(f.other, { instanceId: 'b' });
    assert.deepEqual([again.kind, again.scheduledAt, again.attempt], ['scheduled', run.scheduledAt, 1]);
    assert.ok(again.fence > run.fence);
  });

  it('overlap skip: a fire due while a retry waits is skipped; the retry runs first, tokens follow fire order', async () => {
    const first = await f.dueTask('ordered', { retry: { attempts: 2, backoffMs: 300 } });
    const [run] = await f.claimDue(f.store, { nextRunAt: (fireTime) => fireTime + 200 });
    await f.store.finish({
      taskId: 'ordered',
      fence: run.fence,
      status: 'failed',
    });
    await sleep(300);
    const peek = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 });
    const [due] = peek.candidates;
    assert.equal(due.fireTime, first + 200);
    const claimed = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [onTime(due, null)] });
    assert.deepEqual(
      claimed.map((c) => [c.kind, c.scheduledAt, c.attempt]),
      [['retry', first, 2]],
      'the retry runs, the later fire does not run beside it',
    );
    const history = await f.store.getRuns('ordered', 5);
    assert.ok(history.some((entry) => entry.status === 'skipped' && entry.scheduledAt.getTime() === first + 200));
  });

  it('overlap bufferOne: a fire due while a retry waits runs after the retry, with a higher token', async () => {
    const first = await f.dueTask('buffered', { overlap: 'bufferOne', retry: { attempts: 2, backoffMs: 300 } });
    const [run] = await f.claimDue(f.store, { nextRunAt: (fireTime) => fireTime + 200 });
    await f.store.finish({
      taskId: 'buffered',
      fence: run.fence,
      status: 'failed',
    });
    await sleep(300);
    const [due] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    const [retry, ...others] = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [onTime(due, null)] });
    assert.deepEqual([retry.kind, retry.scheduledAt, others.length], ['retry', first, 0]);
    await f.replica('a').finish({
      taskId: 'buffered',
      fence: retry.fence,
      status: 'success',
    });
    const [next] = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.deepEqual([next.kind, next.scheduledAt], ['buffered', first + 200]);
    assert.ok(next.fence > retry.fence);
  });

  it('overlap bufferOne: a buffered fire released but not claimed yet goes before the next fire (fire order)', async () => {
    const first = await f.dueTask('released', { overlap: 'bufferOne' });
    const [run] = await f.claimDue(f.store, { nextRunAt: (fireTime) => fireTime + 100 });
    await sleep(150);
    // The second fire is due while the first runs: buffered. The third is due by the time the first ends.
    const [second] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    assert.deepEqual(
      await f.replica('a').claim({
        workflows: [WORKFLOW],
        maxClaims: 5,
        defaultLeaseMs: 30_000,
        decisions: [onTime(second, first + 200)],
      }),
      [],
    );
    await sleep(100);
    await f.store.finish({
      taskId: 'released',
      fence: run.fence,
      status: 'success',
    });
    // The buffered fire is released into the pending runs; the third fire is claimed first in the same call.
    const [third] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    assert.equal(third.fireTime, first + 200);
    const claimed = await f.replica('a').claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: 30_000,
      decisions: [onTime(third, first + 60_000)],
    });
    assert.deepEqual(
      claimed.map((c) => [c.kind, c.scheduledAt - first]),
      [['buffered', 100]],
      'the buffered fire runs; the third waits behind it (buffered in its turn)',
    );
    await f.replica('a').finish({
      taskId: 'released',
      fence: claimed[0].fence,
      status: 'success',
    });
    const [next] = await f
      .replica('a')
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.deepEqual([next.kind, next.scheduledAt - first], ['buffered', 200]);
    assert.ok(next.fence > claimed[0].fence, 'tokens follow fire order');
  });

  it("a store that never saw a task's workflow reads, triggers, disables and removes it (its keys asked for)", async () => {
    await f.store.saveTask({
      definition: definition('elsewhere', { workflow: 'import' }),
      nextRunAt: null,
      dueScore: null,
      mode: 'create',
    });
    const fresh = freshStore(f.raw, 'fresh');
    await fresh.trigger('elsewhere');
    assert.equal(
      (await fresh.setEnabled({ id: 'elsewhere', enabled: false, nextRunAt: null, dueScore: null })).enabled,
      false,
    );
    assert.equal(await fresh.removeTask('elsewhere'), true);
    assert.equal(await f.raw.zcard(`${BASE}:pending:import`), 0, 'its pending run went with it');
  });

  it('a script that needs keys it was not given refuses before writing anything', async () => {
    await f.store.saveTask({ definition: definition('guarded'), nextRunAt: null, dueScore: null, mode: 'create' });
    const before = await f.raw.hgetall(`${BASE}:state`);
    const scripts = new ScriptRunner(f.raw);
    scripts.register(SchedulerStore.SCRIPTS);
    await assert.rejects(
      scripts.run('schedulerRemoveTask', schedulerKeys(BASE, []), ['guarded', 'PUBLISH']),
      /UNDECLARED_WORKFLOWS \["export"\]/,
    );
    assert.deepEqual(await f.raw.hgetall(`${BASE}:state`), before);
    assert.equal(await f.raw.hexists(`${BASE}:tasks`, 'guarded'), 1);
  });

  it('peek deletes the heartbeats of replicas silent for longer than asked (stopped replicas do not pile up)', async () => {
    for (let i = 0; i < 5; i++) await f.replica(`gone-${i}`, { on: f.other }).peek({ workflows: [WORKFLOW], limit: 1 });
    await sleep(300);
    await f.replica('live').peek({ workflows: [WORKFLOW], limit: 1, heartbeatMaxAgeMs: 0 });
    assert.equal(await f.raw.hlen(`${BASE}:replicas`), 6, 'kept when not asked');
    await f.replica('live').peek({ workflows: [WORKFLOW], limit: 1, heartbeatMaxAgeMs: 200 });
    assert.deepEqual(await f.raw.hkeys(`${BASE}:replicas`), ['live']);
  });
});
