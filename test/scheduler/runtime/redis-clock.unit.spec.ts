import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { RedisClock } from '../../../lib/scheduler/runtime/redis-clock';

/*
 * The conversion of Redis times to local deadlines for runs claimed ahead: from the tightest lower bound on the
 * clocks' offset, so that a handler never starts before its Redis time, and as close to it as the replies allow.
 */
describe('RedisClock', () => {
  it('converts with the tightest recent bound: the largest Redis time minus local arrival', () => {
    const clock = new RedisClock();
    const now = performance.now();
    // True offset 1 000 000 ms; replies arrive 30 ms, 2 ms and 10 ms after Redis read its clock.
    clock.observe(1_000_000 + now - 30, now);
    clock.observe(1_000_000 + now - 2, now);
    clock.observe(1_000_000 + now - 10, now);
    const redisStart = 1_000_000 + now + 500;
    const local = clock.localTimeOf(redisStart, -Infinity);
    // Never before the true local time of the start (now + 500), and within the best reply's 2 ms of it.
    assert.ok(local >= now + 500, `${local - now - 500} ms early`);
    assert.ok(local <= now + 502 + 1e-6, `${local - now - 500} ms late`);
  });

  it("takes the caller's own bound when it is tighter, and only its own without readings", () => {
    const clock = new RedisClock();
    const now = performance.now();
    assert.equal(clock.localTimeOf(5_000, 4_000), 1_000);
    clock.observe(4_000 + now - 50, now); // a slow reply: a loose bound
    assert.ok(Math.abs(clock.localTimeOf(5_000 + now, 4_000 - 1) - (now + 1_001)) < 1e-6);
  });

  it("a confirmation keeps a tighter earlier reading, and drops every reading it shows Redis's clock stepped back from", () => {
    const clock = new RedisClock();
    const now = performance.now();
    // True offset 1 000 000 ms; a look's quick reply (1 ms), then a confirmation sent at now, answered 12 ms later.
    clock.observe(1_000_000 + now - 1, now);
    const bound = clock.boundAfter(1_000_000 + now + 4, now, now + 12);
    assert.equal(bound, 1_000_000 - 1, 'the look bound the offset more tightly: kept');
    // Redis's clock steps back 300 ms: the next confirmation's upper bound is below the readings: they are dropped.
    const stepped = clock.boundAfter(1_000_000 - 300 + now + 20 + 4, now + 20, now + 20 + 12);
    assert.ok(stepped <= 1_000_000 - 300, `bound ${stepped - (1_000_000 - 300)} ms above the true offset: runs early`);
    assert.equal(stepped, 1_000_000 - 300 - 8);
  });

  it('forgets readings older than 10 s (a step of the Redis wall clock back is not trusted for long)', () => {
    const clock = new RedisClock();
    const now = performance.now();
    clock.observe(2_000 + now, now - 11_000); // an old reading with a large bound
    clock.observe(1_000 + now, now);
    assert.ok(Math.abs(clock.localTimeOf(10_000 + now, -Infinity) - (now + 9_000)) < 1e-6);
  });
});
