import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronSchedule, jitterOffset } from '../../../lib/scheduler/cron/cron-schedule';
import { decideFire, DueTask, dueScoreOf, latestFires } from '../../../lib/scheduler/runtime/claim-decisions';

const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

function task(overrides: Partial<DueTask> = {}): DueTask {
  return {
    id: 't',
    cron: '* * * * *',
    timeZone: 'UTC',
    misfire: 'runOnce',
    misfireGraceMs: MINUTE,
    jitterMs: 0,
    version: 7,
    ...overrides,
  };
}

describe('decideFire', () => {
  it('on time: runs the fire, next = the first fire after it (not after now)', () => {
    const decision = decideFire({ task: task(), fireTime: T0 }, T0 + 30_000, 20);
    assert.deepEqual(decision, {
      taskId: 't',
      expectedFireTime: T0,
      version: 7,
      runAt: T0,
      missed: [],
      nextRunAt: T0 + MINUTE,
      nextDueScore: T0 + MINUTE,
      dueAt: T0,
    });
  });

  it('ahead of its time: the on-time decision, with the due score (jitter included) a claim ahead starts it at', () => {
    const jittered = task({ jitterMs: 10_000 });
    const decision = decideFire({ task: jittered, fireTime: T0 }, T0 - 400, 20);
    assert.equal(decision.runAt, T0);
    assert.deepEqual(decision.missed, []);
    assert.equal(decision.dueAt, dueScoreOf('t', T0, 10_000));
    assert.ok((decision.dueAt as number) >= T0 && (decision.dueAt as number) < T0 + 10_000);
  });

  it('late under runOnce: runs the latest missed fire, records the older ones missed, continues from now', () => {
    const now = T0 + 10 * MINUTE + 5_000;
    const decision = decideFire({ task: task(), fireTime: T0 }, now, 20);
    assert.equal(decision.runAt, T0 + 10 * MINUTE);
    assert.deepEqual(
      decision.missed,
      Array.from({ length: 10 }, (_, index) => T0 + index * MINUTE),
    );
    assert.equal(decision.nextRunAt, T0 + 11 * MINUTE);
  });

  it('late under skip: every fire missed, none runs (the latest would have been late too)', () => {
    const now = T0 + 10 * MINUTE + 5_000;
    const decision = decideFire({ task: task({ misfire: 'skip', misfireGraceMs: 1_000 }), fireTime: T0 }, now, 20);
    assert.equal(decision.runAt, null);
    assert.equal(decision.missed.length, 11);
    assert.equal(decision.missed.at(-1), T0 + 10 * MINUTE);
    assert.equal(decision.nextRunAt, T0 + 11 * MINUTE);
  });

  it('late under skip but the latest fire within grace: that one runs', () => {
    const now = T0 + 10 * MINUTE + 5_000;
    const decision = decideFire({ task: task({ misfire: 'skip', misfireGraceMs: 10_000 }), fireTime: T0 }, now, 20);
    assert.equal(decision.runAt, T0 + 10 * MINUTE);
    assert.equal(decision.missed.length, 10);
  });

  it('a long outage: missed bounded to historyLength (the latest ones), decided in a few steps', () => {
    const everySecond = task({ cron: '* * * * * *' });
    const now = T0 + 3 * 24 * 3600_000; // three days of per-second fires
    const started = performance.now();
    const decision = decideFire({ task: everySecond, fireTime: T0 }, now, 20);
    assert.ok(performance.now() - started < 1_000);
    assert.equal(decision.runAt, now);
    assert.equal(decision.missed.length, 20);
    assert.equal(decision.missed.at(-1), now - 1_000);
    assert.equal(decision.nextRunAt, now + 1_000);
  });

  it('jitter: the due score adds the deterministic offset; lateness is measured from it', () => {
    const jittered = task({ jitterMs: 30_000 });
    const decision = decideFire({ task: jittered, fireTime: T0 }, T0 + 1_000, 20);
    assert.equal(decision.nextDueScore, T0 + MINUTE + jitterOffset('t', T0 + MINUTE, 30_000));
  });

  it('late, with jitter: a fire whose jittered due time is still ahead is not run early but becomes the next fire', () => {
    const jittered = task({ jitterMs: 40_000 });
    const latest = T0 + 10 * MINUTE;
    const offset = jitterOffset('t', latest, 40_000);
    assert.ok(offset > 1_000, `the test needs a latest fire due later than now (offset ${offset})`);
    const now = latest + 1_000; // after the latest fire time, before its jittered due time
    for (const misfire of ['runOnce', 'skip'] as const) {
      const decision = decideFire({ task: { ...jittered, misfire }, fireTime: T0 }, now, 20);
      assert.equal(decision.nextRunAt, latest, `${misfire}: the latest fire waits for its due time`);
      assert.equal(decision.nextDueScore, latest + offset);
      assert.notEqual(decision.runAt, latest, `${misfire}: not run before its due time`);
      assert.ok(!decision.missed.includes(latest), `${misfire}: nor recorded missed`);
    }
    const runOnce = decideFire({ task: jittered, fireTime: T0 }, now, 20);
    assert.equal(runOnce.runAt, latest - MINUTE, 'runOnce runs the latest fire that is due');
    assert.equal(runOnce.missed.length, 9);
  });

  it('an expression without a next fire ends the schedule', () => {
    const decision = decideFire(
      { task: task({ cron: '0 0 29 2 *' }), fireTime: Date.UTC(2028, 1, 29) },
      Date.UTC(2028, 1, 29) + 1,
      20,
    );
    assert.equal(decision.runAt, Date.UTC(2028, 1, 29));
    assert.equal(decision.nextRunAt, Date.UTC(2032, 1, 29));
  });
});

describe('latestFires', () => {
  it('returns all fires of a short window, the last ones of a long window', () => {
    const schedule = CronSchedule.parse('* * * * *', 'UTC');
    assert.deepEqual(latestFires(schedule, T0, T0 + 3 * MINUTE, 5), [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
    assert.deepEqual(
      latestFires(schedule, T0, T0 + 1_000 * MINUTE, 5),
      [996, 997, 998, 999, 1_000].map((minute) => T0 + minute * MINUTE),
    );
    // Sparse fires: the halving must not lose them in an empty right half.
    const yearly = CronSchedule.parse('0 0 1 1 *', 'UTC');
    assert.deepEqual(latestFires(yearly, T0, Date.UTC(2040, 5, 1), 2), [Date.UTC(2039, 0, 1), Date.UTC(2040, 0, 1)]);
  });
});
