import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jitterOffset } from '../../../lib/scheduler/cron/jitter-offset';
import { at } from './local-time';

const MINUTE = 60_000;

describe('jitterOffset', () => {
  it('is 0 without jitter (0, negative, below 1 ms, NaN)', () => {
    for (const jitterMs of [0, -5, 0.9, NaN])
      assert.equal(jitterOffset('task', at('2026-01-01T00:00:00Z'), jitterMs), 0);
  });

  it('is an integer in [0, jitterMs)', () => {
    for (const jitterMs of [1, 2, 7, 1000, 1000.9, 2 ** 31]) {
      const bound = Math.floor(jitterMs);
      for (let index = 0; index < 500; index++) {
        const offset = jitterOffset(`task-${index % 7}`, at('2026-01-01T00:00:00Z') + index * MINUTE, jitterMs);
        assert.ok(Number.isInteger(offset) && offset >= 0 && offset < bound, `${offset} for jitterMs ${jitterMs}`);
      }
    }
  });

  it('is the same in every process and every version: SHA-1 of `${taskId}\\n${fireTimeMs}`, 48 bits, modulo jitterMs', () => {
    // Pinned: replicas of two versions side by side during a deploy must still agree on every due score.
    assert.equal(jitterOffset('weekday-report', at('2026-03-09T08:00:00Z'), 60_000), 5121);
    assert.equal(jitterOffset('weekday-report', at('2026-03-10T08:00:00Z'), 60_000), 12446);
    assert.equal(jitterOffset('nightly users export', at('2026-01-01T00:00:00Z'), 1000), 135);
    assert.equal(jitterOffset('ü\u{1F600}', 0, 2 ** 31), 1716700490);
    assert.equal(jitterOffset('weekday-report', at('2026-03-09T08:00:00Z'), 60_000), 5121);
  });

  it('spreads the fires of one task evenly over [0, jitterMs)', () => {
    const buckets = new Array<number>(10).fill(0);
    const samples = 20_000;
    let sum = 0;
    for (let index = 0; index < samples; index++) {
      const offset = jitterOffset('hourly-sync', at('2026-01-01T00:00:00Z') + index * MINUTE, 1000);
      buckets[Math.floor(offset / 100)]++;
      sum += offset;
    }
    // Each bucket expects 2000 (standard deviation about 42): 15 % off is far beyond chance.
    for (const count of buckets) assert.ok(Math.abs(count - samples / 10) < 300, `buckets ${buckets.join(' ')}`);
    assert.ok(Math.abs(sum / samples - 499.5) < 15, `mean ${sum / samples}`);
  });

  it('spreads the tasks that share a fire time (the top-of-the-hour herd)', () => {
    const fire = at('2026-06-01T12:00:00Z');
    const offsets = Array.from({ length: 1000 }, (_, index) => jitterOffset(`task-${index}`, fire, 60_000));
    assert.ok(new Set(offsets).size > 980, `${new Set(offsets).size} distinct offsets`);
    assert.ok(Math.min(...offsets) < 1_000 && Math.max(...offsets) > 59_000);
  });
});
