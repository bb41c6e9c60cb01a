import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';

/** How long a reading of Redis's clock stays usable: a step of Redis's wall clock is forgotten after this. */
const READING_TTL_MS = 10_000;

/**
 * Where Redis's clock (TIME, ms) stands against this process's monotonic clock (`performance.now()`), from below.
 * A reply that carries Redis's time `redisMs` and arrives at local `receivedAt` shows that the offset
 * (Redis − local) is at least `redisMs − receivedAt`: Redis read its clock before the reply left. The largest of
 * the recent such bounds is the tightest; small, fast replies (an idle look) make it tight to about a
 * millisecond. A local deadline computed from it never falls before the Redis time it stands for.
 */
@Injectable()
export class RedisClock {
  private readonly readings: Array<{ bound: number; at: number }> = [];

  /** A reply that carried Redis's time `redisMs` arrived at `receivedAt` (`performance.now()`). */
  observe(redisMs: number, receivedAt: number): void {
    const bound = redisMs - receivedAt;
    // Only readings that may still be the largest are kept: older and smaller ones never will be.
    while (this.readings.length > 0 && this.readings[this.readings.length - 1].bound <= bound) this.readings.pop();
    this.readings.push({ bound, at: receivedAt });
  }

  /**
   * The offset bound of a call sent at `sentAt` and answered at `repliedAt` (`performance.now()`) with Redis's time
   * `redisMs`: the offset is at least `redisMs − repliedAt` and at most `redisMs − sentAt` (Redis read its clock in
   * between). A recent reading above that upper bound shows Redis's clock stepped back since: every reading is
   * forgotten, and this call's own bound is used. Otherwise the tightest bound known is, as for `localTimeOf`.
   */
  boundAfter(redisMs: number, sentAt: number, repliedAt: number): number {
    const best = this.tightestBound(repliedAt);
    if (best !== undefined && best > redisMs - sentAt) this.readings.splice(0);
    this.observe(redisMs, repliedAt);
    // The readings are kept largest first, this call's own among them.
    return this.readings[0].bound;
  }

  /**
   * The local `performance.now()` at which Redis's clock reaches `redisMs`, at the latest as far as known: never
   * before. `fallbackBound` is a bound of the caller's own (from the reply that brought `redisMs`).
   */
  localTimeOf(redisMs: number, fallbackBound: number): number {
    return redisMs - Math.max(this.tightestBound(performance.now()) ?? -Infinity, fallbackBound);
  }

  /** The largest bound of the readings still usable at `now` (older ones are forgotten), undefined without any. */
  private tightestBound(now: number): number | undefined {
    while (this.readings.length > 0 && now - this.readings[0].at > READING_TTL_MS) this.readings.shift();
    return this.readings[0]?.bound;
  }
}
