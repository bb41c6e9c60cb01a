import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ClaimedRun } from '../../../lib/scheduler/store/scheduler-store.interface';
import { describeOnTargets } from '../../harness/redis-target';
import { sleep } from '../../harness/wait';
import { BASE, definition, onTime, useStoreFixture, WORKFLOW } from './store-fixture';

/** Short leases: a lease "expires" by waiting a few times its length, never by asserting a timing. */
const LEASE_MS = 200;
const PAST_LEASE_MS = 4 * LEASE_MS;

describeOnTargets('SchedulerStore runs', (target) => {
  const f = useStoreFixture(target);

  async function history(id: string) {
    return (await f.store.getRuns(id, 100)).filter((run) => run.status !== 'running');
  }

  it('claim: two replicas claiming one fire at once start exactly one run, and the next fire advances once', async () => {
    for (let round = 0; round < 10; round++) {
      await f.target.flush();
      const fireTime = await f.dueTask(`contested-${round}`);
      const [mine, theirs] = await Promise.all([
        f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 }),
        f.replica('b', { on: f.other }).peek({ workflows: [WORKFLOW], limit: 5 }),
      ]);
      assert.equal(mine.candidates.length, 1);
      assert.equal(theirs.candidates.length, 1, 'both replicas see the fire due');
      // Each replica decides a next fire of its own: the loser's decision must leave no trace.
      const claims = await Promise.all([
        f.replica('a').claim({
          workflows: [WORKFLOW],
          maxClaims: 5,
          defaultLeaseMs: 30_000,
          decisions: mine.candidates.map((due) => onTime(due, fireTime + 60_000)),
        }),
        f.replica('b', { on: f.other }).claim({
          workflows: [WORKFLOW],
          maxClaims: 5,
          defaultLeaseMs: 30_000,
          decisions: theirs.candidates.map((due) => onTime(due, fireTime + 70_000)),
        }),
      ]);
      const runs = claims.flat();
      assert.equal(runs.length, 1, `round ${round}: ${runs.length} runs started`);
      assert.equal(runs[0].scheduledAt, fireTime);
      assert.equal(runs[0].kind, 'scheduled');
      const task = await f.store.getTask(`contested-${round}`);
      assert.equal(
        task?.nextRunAt,
        claims[0].length === 1 ? fireTime + 60_000 : fireTime + 70_000,
        "the winner's next fire",
      );
      assert.equal(task?.runCount, 1);
      assert.equal(task?.running, 1);
      assert.equal(task?.lastStatus, 'running');
    }
  });

  it('claim: a decision on a changed version or an already advanced fire is refused; a fire at or before lastFireAt never runs again', async () => {
    const fireTime = await f.dueTask('stale');
    const [due] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    await f.store.setEnabled({ id: 'stale', enabled: false, nextRunAt: null, dueScore: null });
    const now = await f.store.now();
    await f.store.setEnabled({ id: 'stale', enabled: true, nextRunAt: now - 5, dueScore: now - 5 });
    assert.deepEqual(
      await f
        .replica('a')
        .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [onTime(due)] }),
      [],
      'the version changed twice since the peek',
    );

    const [run] = await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 });
    assert.equal(run.scheduledAt, now - 5);
    assert.ok(run.scheduledAt > fireTime);
    await f.store.finish({
      taskId: 'stale',
      fence: run.fence,
      status: 'success',
    });
    // A stale write (e.g. a new schedule computed from an old read) puts back the fire just claimed.
    const task = (await f.store.getTask('stale'))!;
    await f.store.saveTask({
      definition: { ...task, name: 'renamed', cron: '*/1 * * * *' },
      nextRunAt: run.scheduledAt,
      dueScore: run.scheduledAt,
      mode: 'update',
      expectedVersion: task.version,
    });
    const again = await f.claimDue(f.store, { nextRunAt: (fire) => fire + 60_000 });
    assert.deepEqual(again, [], 'the fire already claimed is not run twice');
    const after = (await f.store.getTask('stale'))!;
    assert.equal(after.nextRunAt, run.scheduledAt + 60_000, 'the schedule moves on');
    assert.equal(after.lastFireAt, run.scheduledAt);
    assert.equal(after.runCount, 1);
    assert.deepEqual(
      (await history('stale')).map((entry) => entry.status),
      ['success'],
      'nothing skipped or missed either',
    );
  });

  it('fencing: tokens increase across fires and attempts; an expired lease refuses renew and finish, records lost, and retries at once', async () => {
    const fireTime = await f.dueTask('fenced', { retry: { attempts: 2, backoffMs: 60_000 } });
    const [first] = await f.claimDue(f.store, { leaseMs: LEASE_MS });
    assert.equal(first.leaseMs, LEASE_MS);
    assert.ok(Number.isInteger(first.fence) && first.fence > 0);
    await sleep(PAST_LEASE_MS);
    assert.equal(
      await f.store.renew({ taskId: 'fenced', fence: first.fence, leaseMs: LEASE_MS }),
      false,
      'an expired lease is not renewed',
    );
    const refused = await f.store.finish({
      taskId: 'fenced',
      fence: first.fence,
      status: 'success',
    });
    assert.equal(refused.accepted, false);
    assert.equal(refused.disabled, false);
    assert.ok(refused.retryAt !== null, 'the lost attempt is retried');
    const [lost] = await history('fenced');
    assert.equal(lost.status, 'lost');
    assert.equal(lost.attempt, 1);
    assert.equal(lost.error, 'lease expired');
    assert.equal(lost.scheduledAt.getTime(), fireTime);
    const task = (await f.store.getTask('fenced'))!;
    assert.equal(task.lastStatus, 'lost');
    assert.equal(task.running, 0);

    const peek = await f.other.peek({ workflows: [WORKFLOW], limit: 5 });
    assert.equal(peek.pendingDue, 1, 'the retry is due at once');
    const [retry] = await f.other.claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: LEASE_MS,
      decisions: [],
    });
    assert.equal(retry.kind, 'retry');
    assert.equal(retry.attempt, 2);
    assert.equal(retry.scheduledAt, fireTime);
    assert.ok(retry.fence > first.fence);
    // The first attempt's owner comes back: its completion stays refused, the retry's is accepted.
    const late = await f.store.finish({
      taskId: 'fenced',
      fence: first.fence,
      status: 'success',
    });
    assert.equal(late.accepted, false);
    const done = await f.other.finish({
      taskId: 'fenced',
      fence: retry.fence,
      status: 'success',
    });
    assert.deepEqual(done, { accepted: true, disabled: false, retryAt: null });
    assert.deepEqual(
      (await history('fenced')).map((run) => [run.status, run.attempt, run.instanceId]),
      [
        ['success', 2, 'replica-b'],
        ['lost', 1, 'replica-a'],
      ],
    );
    // A later fire of the task gets a larger token still.
    await f.store.trigger('fenced');
    const [next] = await f.store.claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: LEASE_MS,
      decisions: [],
    });
    assert.ok(next.fence > retry.fence);
  });

  it('renew: only the owner, only while the lease holds; a renewed lease outlives its first expiry', async () => {
    await f.dueTask('renewed');
    const [run] = await f.claimDue(f.store, { instanceId: 'owner', leaseMs: LEASE_MS });
    assert.equal(
      await f.replica('intruder', { on: f.other }).renew({ taskId: 'renewed', fence: run.fence, leaseMs: 60_000 }),
      false,
      'not the owner',
    );
    assert.equal(
      await f.replica('owner').renew({ taskId: 'renewed', fence: run.fence + 1000, leaseMs: 60_000 }),
      false,
      'no such run',
    );
    assert.equal(await f.replica('owner').renew({ taskId: 'renewed', fence: run.fence, leaseMs: 60_000 }), true);
    await sleep(PAST_LEASE_MS);
    const peek = await f.replica('intruder', { on: f.other }).peek({ workflows: [WORKFLOW], limit: 5 });
    assert.deepEqual(peek.lost, [], 'the renewed lease is not reaped');
    const intruder = await f.replica('intruder', { on: f.other }).finish({
      taskId: 'renewed',
      fence: run.fence,
      status: 'failed',
    });
    assert.deepEqual(intruder, { accepted: false, disabled: false, retryAt: null });
    const [running] = await f.store.getRuns('renewed', 10);
    assert.equal(running.status, 'running', 'a refused finish of another replica changes nothing');
    assert.equal(running.instanceId, 'owner');
    const owner = await f.replica('owner').finish({
      taskId: 'renewed',
      fence: run.fence,
      status: 'success',
    });
    assert.equal(owner.accepted, true);
    assert.deepEqual(
      (await history('renewed')).map((entry) => entry.status),
      ['success'],
    );
  });

  it('reaper: peek records an expired lease lost; with no attempt left the fire failed and is counted; nextWakeAt covers the lease', async () => {
    await f.dueTask('reaped', { retry: { attempts: 1, backoffMs: 1000 }, maxConsecutiveFailures: 5 });
    const [run] = await f.claimDue(f.store, { leaseMs: LEASE_MS });
    const before = await f.replica('b', { on: f.other }).peek({ workflows: ['another-workflow'], limit: 5 });
    assert.ok(
      before.nextWakeAt !== null && before.nextWakeAt <= run.startedAt + LEASE_MS,
      'a replica wakes when a lease expires',
    );
    await sleep(PAST_LEASE_MS);
    const peek = await f.replica('b', { on: f.other }).peek({ workflows: ['another-workflow'], limit: 5 });
    assert.deepEqual(peek.lost, [{ taskId: 'reaped', fence: run.fence, attempt: 1, retryAt: null, disabled: false }]);
    const task = (await f.store.getTask('reaped'))!;
    assert.equal(task.failureCount, 1);
    assert.equal(task.lastStatus, 'failed');
    assert.equal(task.running, 0);
    assert.equal(await f.raw.zcard(`${BASE}:leases`), 0);
    assert.equal(await f.raw.hlen(`${BASE}:runs`), 0);
    const late = await f.store.finish({
      taskId: 'reaped',
      fence: run.fence,
      status: 'success',
    });
    assert.equal(late.accepted, false);
    assert.deepEqual(
      (await history('reaped')).map((entry) => entry.status),
      ['lost'],
      'one entry per attempt',
    );
  });

  it('retry: a failed attempt is retried at backoff * 2^(attempt-1), same fire time; later fires still run once', async () => {
    const backoffMs = 300;
    const fireTime = await f.dueTask('flaky', {
      retry: { attempts: 3, backoffMs },
      overlap: 'allow',
      maxConsecutiveFailures: 10,
    });
    const started: ClaimedRun[] = [];
    // The next fire is due right after the first one, so it comes due while retries wait.
    started.push(...(await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 })));
    assert.equal(started.length, 1);

    const fail = async (run: ClaimedRun, message: string) => {
      const from = await f.store.now();
      const result = await f.store.finish({
        taskId: 'flaky',
        fence: run.fence,
        status: 'failed',
        error: message,
      });
      const to = await f.store.now();
      assert.equal(result.accepted, true);
      return { ...result, from, to };
    };
    const firstFailure = await fail(started[0], 'boom 1');
    assert.ok(
      firstFailure.retryAt! >= firstFailure.from + backoffMs && firstFailure.retryAt! <= firstFailure.to + backoffMs,
    );
    const [retryEntry] = await history('flaky');
    assert.deepEqual([retryEntry.status, retryEntry.attempt, retryEntry.error], ['retry', 1, 'boom 1']);

    // Meanwhile the next fire runs, once; the retry is not due yet.
    const meanwhile = await f.claimDue(f.store, { nextRunAt: () => null });
    assert.deepEqual(
      meanwhile.map((run) => [run.scheduledAt, run.attempt, run.kind]),
      [[fireTime + 1, 1, 'scheduled']],
    );
    started.push(...meanwhile);
    await f.store.finish({
      taskId: 'flaky',
      fence: meanwhile[0].fence,
      status: 'success',
    });

    while (started.length < 4) {
      const claimed = await f.store.claim({
        workflows: [WORKFLOW],
        maxClaims: 5,
        defaultLeaseMs: 30_000,
        decisions: [],
      });
      if (claimed.length === 0) {
        await sleep(50);
        continue;
      }
      assert.equal(claimed.length, 1);
      started.push(claimed[0]);
      const run = claimed[0];
      assert.equal(run.kind, 'retry');
      assert.equal(run.scheduledAt, fireTime);
      if (run.attempt === 2) {
        const secondFailure = await fail(run, 'boom 2');
        assert.ok(secondFailure.retryAt! >= secondFailure.from + 2 * backoffMs, 'the backoff doubles');
        assert.ok(secondFailure.retryAt! <= secondFailure.to + 2 * backoffMs);
      } else {
        const last = await fail(run, 'boom 3');
        assert.equal(last.retryAt, null, 'no attempt left');
      }
    }
    assert.deepEqual(
      started.map((run) => [run.scheduledAt - fireTime, run.attempt]),
      [
        [0, 1],
        [1, 1],
        [0, 2],
        [0, 3],
      ],
    );
    assert.ok(started.every((run, i) => i === 0 || run.fence > started[i - 1].fence));
    const task = (await f.store.getTask('flaky'))!;
    assert.equal(task.failureCount, 1);
    assert.equal(task.lastStatus, 'failed');
    assert.deepEqual(
      (await history('flaky')).map((run) => `${run.status}:${run.attempt}`),
      ['failed:3', 'retry:2', 'success:1', 'retry:1'],
    );
    assert.deepEqual(
      await f.store.claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] }),
      [],
    );
  });

  it('failures: a success resets failureCount; maxConsecutiveFailures failed fires in a row disable the schedule and say so', async () => {
    await f.dueTask('fragile', { retry: { attempts: 1, backoffMs: 1000 }, maxConsecutiveFailures: 2 });
    const fire = async (status: 'success' | 'failed') => {
      const [run] = await f.claimDue(f.store, { nextRunAt: (fireTime) => fireTime + 1 });
      assert.ok(run, 'the next fire is due');
      return f.store.finish({
        taskId: 'fragile',
        fence: run.fence,
        status,
        error: 'nope',
      });
    };
    assert.deepEqual(await fire('failed'), { accepted: true, disabled: false, retryAt: null });
    assert.equal((await f.store.getTask('fragile'))!.failureCount, 1);
    await fire('success');
    assert.equal((await f.store.getTask('fragile'))!.failureCount, 0);
    assert.equal((await fire('failed')).disabled, false);
    const version = (await f.store.getTask('fragile'))!.version;
    assert.deepEqual(await fire('failed'), { accepted: true, disabled: true, retryAt: null });
    const task = (await f.store.getTask('fragile'))!;
    assert.equal(task.enabled, false);
    assert.equal(task.nextRunAt, null);
    assert.equal(task.failureCount, 2);
    assert.equal(task.version, version + 1);
    assert.equal(await f.raw.zcard(`${BASE}:due:${WORKFLOW}`), 0);
    assert.deepEqual((await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates, []);
    // A cancelled run is retried per policy but never counted as a failure.
    const now = await f.store.now();
    const enabled = await f.store.setEnabled({ id: 'fragile', enabled: true, nextRunAt: now - 1, dueScore: now - 1 });
    assert.equal(enabled.failureCount, 0, 'enabling starts the count again');
    const [run] = await f.claimDue(f.store);
    const cancelled = await f.store.finish({
      taskId: 'fragile',
      fence: run.fence,
      status: 'cancelled',
    });
    assert.deepEqual(cancelled, { accepted: true, disabled: false, retryAt: null });
    const after = (await f.store.getTask('fragile'))!;
    assert.deepEqual([after.failureCount, after.lastStatus, after.enabled], [0, 'cancelled', true]);
  });

  it('overlap skip: a fire due while a run holds its lease is recorded skipped; a manual trigger too', async () => {
    const fireTime = await f.dueTask('single', { overlap: 'skip' });
    const [run] = await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 });
    assert.deepEqual(await f.claimDue(f.store, { nextRunAt: (fire) => fire + 60_000 }), []);
    await f.store.trigger('single');
    assert.deepEqual(
      await f.store.claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] }),
      [],
    );
    await f.store.finish({
      taskId: 'single',
      fence: run.fence,
      status: 'success',
    });
    const entries = await history('single');
    assert.deepEqual(
      entries.map((entry) => entry.status),
      ['success', 'skipped', 'skipped'],
    );
    assert.equal(entries[2].scheduledAt.getTime(), fireTime + 1);
    assert.deepEqual([entries[2].startedAt, entries[2].instanceId, entries[2].durationMs], [null, null, null]);
    assert.equal((await f.store.getTask('single'))!.nextRunAt, fireTime + 60_001);
  });

  it('overlap bufferOne: one fire waits for the running run and runs when it ends; a second one is skipped', async () => {
    const fireTime = await f.dueTask('buffered', { overlap: 'bufferOne' });
    const [run] = await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 });
    assert.deepEqual(await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 }), []);
    assert.equal((await f.store.getTask('buffered'))!.buffered, fireTime + 1);
    assert.deepEqual(await f.claimDue(f.store, { nextRunAt: (fire) => fire + 60_000 }), []);
    assert.deepEqual(
      (await history('buffered')).map((entry) => [entry.status, entry.scheduledAt.getTime() - fireTime]),
      [['skipped', 2]],
    );
    await f.store.finish({
      taskId: 'buffered',
      fence: run.fence,
      status: 'success',
    });
    const peek = await f.replica('b', { on: f.other }).peek({ workflows: [WORKFLOW], limit: 5 });
    assert.equal(peek.pendingDue, 1, 'the buffered fire is released when the run ends');
    const [released] = await f
      .replica('b', { on: f.other })
      .claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.deepEqual([released.kind, released.scheduledAt, released.attempt], ['buffered', fireTime + 1, 1]);
    assert.equal(released.task.buffered, null);
  });

  it('overlap allow: a fire due while a run holds its lease runs too', async () => {
    const fireTime = await f.dueTask('parallel', { overlap: 'allow' });
    await f.claimDue(f.store, { nextRunAt: (fire) => fire + 1 });
    const [second] = await f.claimDue(f.other, { instanceId: 'b', nextRunAt: (fire) => fire + 60_000 });
    assert.equal(second.scheduledAt, fireTime + 1);
    assert.equal(second.task.running, 2);
    assert.equal((await f.store.getRuns('parallel', 10)).filter((run) => run.status === 'running').length, 2);
  });

  it('misfire: runOnce runs the latest missed fire and records the older ones missed; skip records every one missed', async () => {
    const fireTime = await f.dueTask('late', {}, 5_000);
    const [due] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    const now = await f.store.now();
    const [run] = await f.replica('a').claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: 30_000,
      decisions: [{ ...onTime(due, now + 60_000), runAt: fireTime + 2_000, missed: [fireTime, fireTime + 1_000] }],
    });
    assert.equal(run.scheduledAt, fireTime + 2_000);
    await f.replica('a').finish({
      taskId: 'late',
      fence: run.fence,
      status: 'success',
    });
    assert.deepEqual(
      (await history('late')).map((entry) => [entry.status, entry.scheduledAt.getTime() - fireTime]),
      [
        ['success', 2_000],
        ['missed', 1_000],
        ['missed', 0],
      ],
    );

    const skipped = await f.dueTask('skipped', { misfire: 'skip' }, 5_000);
    const candidate = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates.find(
      (c) => c.task.id === 'skipped',
    )!;
    const claimed = await f.replica('a').claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: 30_000,
      decisions: [
        { ...onTime(candidate, now + 60_000), runAt: null, missed: [skipped + 2_000, skipped, skipped + 1_000] },
      ],
    });
    assert.deepEqual(claimed, []);
    assert.deepEqual(
      (await history('skipped')).map((entry) => [entry.status, entry.scheduledAt.getTime() - skipped]),
      [
        ['missed', 2_000],
        ['missed', 1_000],
        ['missed', 0],
      ],
    );
    const task = (await f.store.getTask('skipped'))!;
    assert.deepEqual(
      [task.nextRunAt, task.lastFireAt, task.lastStatus, task.runCount],
      [now + 60_000, skipped + 2_000, 'missed', 0],
    );
  });

  it('history: newest first, capped at historyLength', async () => {
    const fireTime = await f.dueTask('capped', { overlap: 'skip' });
    const [due] = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 5 })).candidates;
    const missed = [0, 1, 2, 3, 4].map((i) => fireTime + i);
    await f.replica('a', { historyLength: 3 }).claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: 30_000,
      decisions: [{ ...onTime(due, fireTime + 60_000), runAt: null, missed }],
    });
    assert.deepEqual(
      (await f.store.getRuns('capped', 10)).map((entry) => entry.scheduledAt.getTime() - fireTime),
      [4, 3, 2],
    );
    assert.equal(await f.raw.zcard(`${BASE}:history`), 3, 'older entries are deleted, not only hidden');
    assert.deepEqual(
      (await f.store.getRuns('capped', 2)).map((entry) => entry.scheduledAt.getTime() - fireTime),
      [4, 3],
    );
  });

  it('claim starts at most maxClaims runs; a fire without a slot stays due, untouched', async () => {
    for (const id of ['one', 'two', 'three']) await f.dueTask(id);
    const peek = await f.replica('a').peek({ workflows: [WORKFLOW], limit: 3 });
    const decisions = peek.candidates.map((due) => onTime(due));
    const runs = await f.replica('a').claim({ workflows: [WORKFLOW], maxClaims: 2, defaultLeaseMs: 30_000, decisions });
    assert.equal(runs.length, 2);
    const left = (await f.replica('a').peek({ workflows: [WORKFLOW], limit: 3 })).candidates.map((due) => due.task.id);
    assert.equal(left.length, 1);
    assert.ok(!runs.some((run) => run.taskId === left[0]));
  });

  it("ids holding '|' (pending and lease members are parsed from the right): retried, reaped, removed, and a task whose id is their prefix untouched", async () => {
    // Looks like a pending member itself: a parser splitting from the left would take `deploy` as the id.
    const id = 'deploy|7|1|retry';
    const policy = { retry: { attempts: 3, backoffMs: 10 }, maxConsecutiveFailures: 10 };
    const fireTime = await f.dueTask(id, policy);
    await f.dueTask('deploy', policy);
    const first = await f.claimDue(f.store, { leaseMs: 30_000, nextRunAt: () => null });
    assert.deepEqual(first.map((run) => run.taskId).sort(), ['deploy', id]);
    const mine = first.find((run) => run.taskId === id)!;
    const failed = await f.store.finish({
      taskId: id,
      fence: mine.fence,
      status: 'failed',
      error: 'boom',
    });
    assert.equal(failed.accepted, true);
    const [retryMember] = await f.raw.zrange(`${BASE}:pending:${WORKFLOW}`, '0', '-1');
    assert.ok(retryMember.startsWith(`${id}|${fireTime}|2|retry|`), retryMember);

    await sleep(50); // the backoff
    const [retry] = await f.store.claim({
      workflows: [WORKFLOW],
      maxClaims: 5,
      defaultLeaseMs: LEASE_MS,
      decisions: [],
    });
    assert.deepEqual([retry.taskId, retry.scheduledAt, retry.attempt, retry.kind], [id, fireTime, 2, 'retry']);
    const deployFence = first.find((run) => run.taskId === 'deploy')!.fence;
    assert.deepEqual(
      (await f.raw.zrange(`${BASE}:leases`, '0', '-1')).sort(),
      [`${id}|${retry.fence}`, `deploy|${deployFence}`].sort(),
    );
    assert.equal(await f.store.renew({ taskId: id, fence: retry.fence, leaseMs: LEASE_MS }), true);

    await sleep(PAST_LEASE_MS);
    const peek = await f.replica('b', { on: f.other }).peek({ workflows: ['another-workflow'], limit: 5 });
    assert.deepEqual(
      peek.lost.map((lost) => [lost.taskId, lost.fence, lost.attempt, lost.retryAt !== null]),
      [[id, retry.fence, 2, true]],
      "the lease of the id holding '|' is reaped, the other run's is not",
    );
    const [third] = await f.store.claim({ workflows: [WORKFLOW], maxClaims: 5, defaultLeaseMs: 30_000, decisions: [] });
    assert.deepEqual([third.taskId, third.scheduledAt, third.attempt], [id, fireTime, 3]);
    await f.store.finish({
      taskId: id,
      fence: third.fence,
      status: 'success',
    });
    assert.deepEqual(
      (await history(id)).map((run) => `${run.status}:${run.attempt}`),
      ['success:3', 'lost:2', 'retry:1'],
    );
    assert.equal((await f.store.getTask(id))!.running, 0);
    const other = (await f.store.getTask('deploy'))!;
    assert.deepEqual([other.running, other.runCount], [1, 1], 'the other run still holds its lease');

    await f.store.trigger(id);
    await f.store.trigger('deploy');
    assert.equal(await f.store.removeTask(id), true);
    const pending = await f.raw.zrange(`${BASE}:pending:${WORKFLOW}`, '0', '-1');
    assert.equal(pending.length, 1);
    assert.match(pending[0], /^deploy\|\d+\|1\|manual\|\d+$/, "only the removed task's pending entry went");
  });

  it('trigger: calls in the same Redis millisecond each get their own pending entry and run', async () => {
    await f.store.saveTask({
      definition: definition('burst', { enabled: false, overlap: 'allow' }),
      nextRunAt: null,
      dueScore: null,
      mode: 'create',
    });
    // Pipelined on one connection: many of them land in the same millisecond.
    await Promise.all(Array.from({ length: 200 }, () => f.store.trigger('burst')));
    assert.equal(await f.raw.zcard(`${BASE}:pending:${WORKFLOW}`), 200);
    const claimed: ClaimedRun[] = [];
    for (let batch = 1; batch <= 3; batch++)
      // a claim takes at most 100 pending entries of a workflow
      claimed.push(
        ...(await f.store.claim({ workflows: [WORKFLOW], maxClaims: 500, defaultLeaseMs: 30_000, decisions: [] })),
      );
    assert.equal(claimed.length, 200);
    assert.ok(claimed.every((run) => run.taskId === 'burst' && run.kind === 'manual' && run.attempt === 1));
  });

  it('fencing: tokens keep increasing across a loss of the namespace data (the counter is seeded from Redis TIME)', async () => {
    await f.dueTask('fenced');
    const [before] = await f.claimDue(f.store);
    await f.target.flush(); // Redis restarted without its data
    await f.dueTask('fenced');
    const [after] = await f.claimDue(f.store);
    assert.ok(Number.isSafeInteger(after.fence), `a safe integer: ${after.fence}`);
    assert.ok(after.fence > before.fence, `${after.fence} > ${before.fence}`);
    const [lease] = await f.raw.zrange(`${BASE}:leases`, '0', '-1');
    assert.equal(lease, `fenced|${after.fence}`, 'written in full in the lease member');
    assert.equal(await f.store.renew({ taskId: 'fenced', fence: after.fence, leaseMs: LEASE_MS }), true);
    const finished = await f.store.finish({
      taskId: 'fenced',
      fence: after.fence,
      status: 'success',
    });
    assert.equal(finished.accepted, true);
  });
});
