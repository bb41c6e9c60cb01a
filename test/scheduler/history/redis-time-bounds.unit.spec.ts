import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../harness/prng';
import { ClockSample, RedisTimeline } from './redis-time-bounds';

/*
 * Placing local instants on Redis's clock: with synthetic TIME samples of a known offset, every interval
 * holds the true Redis time, and is as tight as the quickest round trip in reach (a slow one, from a paused
 * Redis, widens nothing).
 */

const OFFSET = 1_796_000_000_000.5;

/** A sample sent at `sentAt`, answered after `rttMs`, Redis reading its clock at a random point in between. */
function sample(random: () => number, sentAt: number, rttMs: number): ClockSample {
  return { sentAt, repliedAt: sentAt + rttMs, redisMs: sentAt + random() * rttMs + OFFSET };
}

describe('Redis time bounds', () => {
  it('hold the true Redis time, as tight as the quickest round trip in reach', () => {
    const random = mulberry32(7);
    const samples = Array.from({ length: 100 }, (_, i) => sample(random, i * 200, 0.1 + random() * 2));
    // Redis paused for 3 s: one sample took that long.
    samples.push(sample(random, 10_050, 3_000));
    const timeline = new RedisTimeline(samples);
    for (let x = 0; x < 20_000; x += 37) {
      const { lo, hi } = timeline.at(x);
      assert.ok(lo <= x + OFFSET && x + OFFSET <= hi, `at ${x}: [${lo}, ${hi}] misses ${x + OFFSET}`);
      assert.ok(hi - lo <= 0.1 + 1e-6, `at ${x}: ${hi - lo} ms wide`);
    }
  });

  it('use the nearest sample when none is in reach', () => {
    const timeline = new RedisTimeline([{ sentAt: 0, repliedAt: 1, redisMs: OFFSET + 0.5 }]);
    const { lo, hi } = timeline.at(60_000);
    assert.ok(lo <= 60_000 + OFFSET && 60_000 + OFFSET <= hi);
    assert.equal(hi - lo, 1);
  });
});
