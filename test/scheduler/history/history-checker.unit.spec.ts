import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OverlapPolicy } from '../../../lib';
import { checkHistory } from './history-checker';
import type { ApiCallRecord, History, RedisInterval, RunRecord } from './history-model';

/*
 * The checker on synthetic histories: a clean one passes, and each kind of violation, planted alone, is
 * caught by its invariant and by no other (so that a report names the real fault). Times are seconds after
 * T0 on Redis's clock; every recorded instant is an interval 0.2 ms wide, as the recorder makes them.
 */

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);
const ms = (seconds: number) => T0 + Math.round(seconds * 1000);
const instant = (seconds: number): RedisInterval => ({ lo: ms(seconds), hi: ms(seconds) + 0.2 });

/** A committed call of t1 from `begin` to `end` (seconds). */
function call(op: ApiCallRecord['op'], begin: number, end: number, extra: Partial<ApiCallRecord> = {}): ApiCallRecord {
  return {
    callId: 0,
    taskId: 't1',
    op,
    instanceId: 'r2',
    begin: instant(begin),
    end: instant(end),
    outcome: 'ok',
    settledBy: instant(end).hi,
    intent: {},
    ...extra,
  };
}

/** A run of t1 on r1 that started 1 ms after its fire and returned 100 ms later, token 100 + 10 × fire. */
function run(fire: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    taskId: 't1',
    scheduledAt: ms(fire),
    attempt: 1,
    fencingToken: 100 + 10 * fire,
    instanceId: 'r1',
    version: 1,
    start: instant(fire + 0.001),
    end: instant(fire + 0.1),
    outcome: 'returned',
    abortedAt: null,
    ...extra,
  };
}

/**
 * t1, every second, added at 0 s and left alone until the end at 20 s: every fire from 1 to 19 ran once on
 * r1 and succeeded, but fire 8, whose first attempt threw and was retried at once; fire 3 started exactly
 * at its time as far as the clock can tell (the upper bound equals the fire time: not early).
 */
function cleanHistory(overlap: OverlapPolicy = 'skip'): History {
  const runs: RunRecord[] = [];
  for (let fire = 1; fire <= 19; fire++) runs.push(run(fire));
  runs[2].start = { lo: ms(3) - 0.5, hi: ms(3) };
  runs[7].outcome = 'threw';
  runs.push(run(8, { attempt: 2, fencingToken: 183, start: instant(8.3), end: instant(8.4) }));
  return {
    settings: { leaseMs: 1_500, lookAheadMs: 500, historyLength: 500 },
    window: { start: ms(0), end: ms(20) },
    calls: [call('addTask', 0, 0.1, { intent: { version: 1, cron: '* * * * * *', overlap, enabled: true } })],
    runs,
    faults: [],
    outcomes: {
      t1: runs.map((r) => ({
        scheduledAt: r.scheduledAt,
        attempt: r.attempt,
        status: r.outcome === 'returned' ? 'success' : 'retry',
        instanceId: r.instanceId,
      })),
    },
    crashes: [],
    processes: 4,
    keys: { keys: 6, elements: 60, replicasHash: 3, liveReplicas: 3, tasks: 1 },
  };
}

function runOf(history: History, fire: number, attempt = 1): RunRecord {
  const found = history.runs.find((r) => r.scheduledAt === ms(fire) && r.attempt === attempt);
  assert.ok(found, `no run of fire ${fire}#${attempt} in the synthetic history`);
  return found;
}

function dropFires(history: History, from: number, to: number): void {
  const dropped = (scheduledAt: number) => scheduledAt >= ms(from) && scheduledAt <= ms(to);
  history.runs = history.runs.filter((r) => !dropped(r.scheduledAt));
  history.outcomes.t1 = history.outcomes.t1.filter((entry) => !dropped(entry.scheduledAt));
}

/** The ids of the invariants with violations. */
function failing(history: History): number[] {
  return checkHistory(history)
    .filter((report) => report.violations.length > 0)
    .map((report) => report.id);
}

describe('history checker', () => {
  it('passes a clean history, and counts what it checked', () => {
    const reports = checkHistory(cleanHistory());
    assert.deepEqual(
      reports.map((report) => [report.id, report.violations]),
      [1, 2, 3, 4, 5, 6, 7].map((id) => [id, []]),
    );
    const outcomes = reports.find((report) => report.id === 4);
    assert.match(outcomes?.detail ?? '', /^19 fires .* 20 cleanly ended runs$/);
  });

  describe('1. once per fire', () => {
    it('catches a second first attempt of a fire', () => {
      const history = cleanHistory();
      // Its replica died in it (no end): nothing else to say about it.
      history.runs.push(run(5, { instanceId: 'r2', fencingToken: 155, start: instant(5.5), end: null, outcome: null }));
      assert.deepEqual(failing(history), [1]);
    });

    it('catches a retry started twice', () => {
      const history = cleanHistory();
      history.runs.push(
        run(8, { attempt: 2, instanceId: 'r3', fencingToken: 186, start: instant(8.6), end: null, outcome: null }),
      );
      assert.deepEqual(failing(history), [1]);
    });

    it('catches two getRuns entries for one attempt (invariant 4 sees two outcomes too)', () => {
      const history = cleanHistory();
      history.outcomes.t1.push({ scheduledAt: ms(12), attempt: 1, status: 'skipped', instanceId: null });
      assert.deepEqual(failing(history), [1, 4]);
    });
  });

  describe('2. nothing after a committed change', () => {
    it('catches a start after removeTask returned true', () => {
      const history = cleanHistory();
      history.calls.push(call('removeTask', 15.5, 15.6, { result: true }));
      dropFires(history, 17, 19);
      delete history.outcomes.t1;
      Object.assign(history.keys, { tasks: 0, keys: 2, elements: 4 });
      assert.deepEqual(failing(history), [2]);
    });

    it('catches scheduled starts while disabled, and lets a triggered run through', () => {
      const history = cleanHistory();
      history.calls.push(
        call('disableTask', 10.2, 10.3, { intent: { enabled: false } }),
        call('triggerTask', 12.4, 12.5),
        call('enableTask', 14.5, 14.6, { intent: { enabled: true } }),
      );
      history.runs.push(run(12.45, { fencingToken: 225, start: instant(12.46), end: instant(12.56) }));
      history.outcomes.t1.push({ scheduledAt: ms(12.45), attempt: 1, status: 'success', instanceId: 'r1' });
      const violations = checkHistory(history).find((report) => report.id === 2)?.violations ?? [];
      assert.deepEqual(failing(history), [2]);
      assert.equal(violations.length, 4, violations.join('\n'));
      assert.ok(violations.every((violation) => /started while disabled/.test(violation)));
    });

    it('catches a handler called after disableTask returned, even of a run Redis started before it', () => {
      const started = (history: History, handlerAt: number) => {
        const history11 = history.outcomes.t1.find((entry) => entry.scheduledAt === ms(11) && entry.attempt === 1);
        assert.ok(history11);
        history11.startedAt = ms(11.002);
        runOf(history, 11).start = instant(handlerAt);
        return history;
      };
      const disabledAt11 = () => {
        const history = cleanHistory();
        history.calls.push(call('disableTask', 10.95, 11.005, { intent: { enabled: false } }));
        dropFires(history, 12, 19);
        return history;
      };
      assert.deepEqual(failing(started(disabledAt11(), 11.004)), [], 'its handler called before the change returned');
      assert.deepEqual(failing(started(disabledAt11(), 11.3)), [2], 'its handler called after it');
    });

    it('lets a fire that waited under bufferOne run once after a cron change; the same start as a fire is caught', () => {
      const withCronChange = (kind: RunRecord['kind']) => {
        const history = cleanHistory('bufferOne');
        history.calls.push(call('updateTask', 12.2, 12.3, { intent: { cron: '*/2 * * * * *' } }));
        // Fire 12, buffered behind a long run of fire 11, starts once that run ended, after the change.
        runOf(history, 11).end = instant(12.5);
        Object.assign(runOf(history, 12), { kind, start: instant(12.501), end: instant(12.6) });
        for (const odd of [13, 15, 17, 19]) dropFires(history, odd, odd);
        return history;
      };
      assert.deepEqual(failing(withCronChange('buffered')), []);
      assert.deepEqual(failing(withCronChange('scheduled')), [2]);
    });

    it('catches a fire time of a disabled period run after enabling (a burst)', () => {
      const history = cleanHistory();
      history.calls.push(
        call('disableTask', 5.2, 5.3, { intent: { enabled: false } }),
        call('enableTask', 9.2, 9.3, { intent: { enabled: true } }),
      );
      dropFires(history, 6, 9);
      history.runs.push(run(7, { fencingToken: 195, start: instant(9.5), end: instant(9.6) }));
      history.outcomes.t1.push({ scheduledAt: ms(7), attempt: 1, status: 'success', instanceId: 'r1' });
      assert.deepEqual(failing(history), [2]);
    });

    it('catches a start with the old payload after updateTask returned', () => {
      const history = cleanHistory();
      history.calls.push(call('updateTask', 9.2, 9.3, { intent: { version: 2 } }));
      for (const r of history.runs) if (r.scheduledAt >= ms(11)) r.version = 2;
      assert.deepEqual(failing(history), [2]);
    });

    it('catches a fire of the old cron started after a cron change returned', () => {
      const history = cleanHistory();
      history.calls.push(call('updateTask', 10.5, 10.6, { intent: { cron: '*/2 * * * * *' } }));
      Object.assign(runOf(history, 10), { start: instant(10.7), end: instant(10.8) });
      assert.deepEqual(failing(history), [2]);
    });
  });

  describe('3. never early', () => {
    it('catches a start surely 1 ms before its fire time', () => {
      const history = cleanHistory();
      runOf(history, 6).start = { lo: ms(6) - 1.2, hi: ms(6) - 1 };
      assert.deepEqual(failing(history), [3]);
    });
  });

  describe('4. one outcome per fire, as the handler ended', () => {
    it('catches a fire with no entry in getRuns', () => {
      const history = cleanHistory();
      dropFires(history, 7, 7);
      assert.deepEqual(failing(history), [4]);
    });

    it('catches a fire still running at the end', () => {
      const history = cleanHistory();
      dropFires(history, 7, 7);
      history.outcomes.t1.push({ scheduledAt: ms(7), attempt: 1, status: 'running', instanceId: 'r3' });
      assert.deepEqual(failing(history), [4]);
    });

    it('does not hold a fire near a fault to it', () => {
      const history = cleanHistory();
      history.faults.push({
        kind: 'client-pause',
        window: { lo: ms(12), hi: ms(12.5) },
        detail: 'CLIENT PAUSE 500 ALL',
      });
      history.outcomes.t1 = history.outcomes.t1.filter((entry) => entry.scheduledAt !== ms(12));
      assert.deepEqual(failing(history), []);
    });

    it('catches an attempt that threw (anything at all) recorded lost', () => {
      const history = cleanHistory();
      runOf(history, 14).outcome = 'threw';
      const entry = history.outcomes.t1.find((e) => e.scheduledAt === ms(14));
      Object.assign(entry ?? {}, { status: 'lost' });
      assert.deepEqual(failing(history), [4]);
    });

    it('catches an attempt that returned recorded failed', () => {
      const history = cleanHistory();
      Object.assign(history.outcomes.t1.find((e) => e.scheduledAt === ms(15)) ?? {}, { status: 'failed' });
      assert.deepEqual(failing(history), [4]);
    });
  });

  describe('5. fencing', () => {
    it('catches a lower token on a later start', () => {
      const history = cleanHistory();
      runOf(history, 11).fencingToken = 195;
      assert.deepEqual(failing(history), [5]);
    });

    it("orders starts by Redis's decision: a run started at its claim whose handler came late keeps its token", () => {
      const history = cleanHistory('allow');
      // Fire 11.5 (token 215) was claimed when due at 11.5 s; its paused replica called the handler at 12.3 s, after
      // fire 12 (token 220) had started: Redis started it first.
      history.runs.push(run(11.5, { instanceId: 'r2', fencingToken: 215, start: instant(12.3), end: instant(12.4) }));
      history.calls.push(call('triggerTask', 11.4, 11.6));
      history.outcomes.t1.push({ scheduledAt: ms(11.5), attempt: 1, status: 'success', instanceId: 'r2' });
      assert.deepEqual(failing(history), [5], 'without the recorded start, a lower token on a later start');
      history.outcomes.t1.at(-1)!.startedAt = ms(11.5);
      assert.deepEqual(failing(history), []);
    });

    it('lets two runs started within a few ms of each other hold their tokens in either order (overlap allow)', () => {
      const history = cleanHistory('allow');
      history.runs.push(run(11.5, { instanceId: 'r2', fencingToken: 215, start: instant(12.02), end: instant(12.1) }));
      history.calls.push(call('triggerTask', 11.4, 11.6));
      history.outcomes.t1.push({ scheduledAt: ms(11.5), attempt: 1, status: 'success', instanceId: 'r2' });
      assert.deepEqual(failing(history), []);
      runOf(history, 11.5).start = instant(12.3);
      assert.deepEqual(failing(history), [5]);
    });

    it('catches a retry beside the next fire under overlap skip, holding the higher token; allows it under allow', () => {
      const beside = (overlap: OverlapPolicy) => {
        const history = cleanHistory(overlap);
        Object.assign(runOf(history, 8, 2), { fencingToken: 195, start: instant(9.05), end: instant(9.15) });
        return history;
      };
      const violations = checkHistory(beside('skip')).find((report) => report.id === 5)?.violations ?? [];
      assert.deepEqual(failing(beside('skip')), [5]);
      assert.ok(
        violations.some((violation) => /holds a lower token/.test(violation)),
        violations.join('\n'),
      );
      assert.ok(
        violations.some((violation) => /ran while/.test(violation)),
        violations.join('\n'),
      );
      assert.deepEqual(failing(beside('allow')), []);
    });

    it('lets retries begun under allow keep their backoff order once bufferOne comes; later fires are held to it', () => {
      // Under allow, fires 8 and 9 both failed and wait for retries; updateTask to bufferOne at 9.2 s; fire 9's
      // retry (shorter backoff) then runs before fire 8's third attempt, with the lower token.
      const switched = () => {
        const history = cleanHistory('allow');
        history.calls.push(call('updateTask', 9.2, 9.3, { intent: { overlap: 'bufferOne' } }));
        runOf(history, 8, 2).outcome = 'threw';
        runOf(history, 9).outcome = 'threw';
        history.runs.push(run(9, { attempt: 2, fencingToken: 195, start: instant(9.5), end: instant(9.6) }));
        history.runs.push(run(8, { attempt: 3, fencingToken: 205, start: instant(10.5), end: instant(10.6) }));
        const outcomes = history.outcomes.t1.filter(
          (entry) => entry.scheduledAt !== ms(8) && entry.scheduledAt !== ms(9),
        );
        outcomes.push(
          { scheduledAt: ms(8), attempt: 1, status: 'retry', instanceId: 'r1' },
          { scheduledAt: ms(8), attempt: 2, status: 'retry', instanceId: 'r1' },
          { scheduledAt: ms(8), attempt: 3, status: 'success', instanceId: 'r1' },
          { scheduledAt: ms(9), attempt: 1, status: 'retry', instanceId: 'r1' },
          { scheduledAt: ms(9), attempt: 2, status: 'success', instanceId: 'r1' },
        );
        history.outcomes.t1 = outcomes;
        return history;
      };
      assert.deepEqual(failing(switched()), []);
      // The same inversion between two fires of the new policy is caught.
      const later = switched();
      runOf(later, 12).fencingToken = 225;
      runOf(later, 13).start = instant(13.001);
      runOf(later, 13).fencingToken = 222;
      assert.deepEqual(failing(later), [5]);
    });

    it('catches two runs at once under bufferOne; allows them under allow', () => {
      const longRun = (overlap: OverlapPolicy) => {
        const history = cleanHistory(overlap);
        runOf(history, 15).end = instant(16.5);
        return history;
      };
      assert.deepEqual(failing(longRun('bufferOne')), [5]);
      assert.deepEqual(failing(longRun('allow')), []);
    });
  });

  it('6. catches a crash', () => {
    const history = cleanHistory();
    history.crashes.push('r2: unhandledRejection: boom');
    assert.deepEqual(failing(history), [6]);
  });

  describe('7. bounded keys', () => {
    it('catches more elements than tasks × (historyLength + c)', () => {
      const history = cleanHistory();
      history.keys.elements = 1_000;
      assert.deepEqual(failing(history), [7]);
    });

    it('catches heartbeats of dead replicas left behind', () => {
      const history = cleanHistory();
      history.keys.replicasHash = 6;
      assert.deepEqual(failing(history), [7]);
    });
  });
});
