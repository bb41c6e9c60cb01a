import { performance } from 'node:perf_hooks';
import type { RedisInterval } from './history-model';

/*
 * Redis's clock as seen from one process. The replicas run under faketime, so their wall clock is useless;
 * `performance.now()` is not moved by it (a constant offset at most, which differences cancel). A TIME reply
 * read between local instants `sentAt` and `repliedAt` says Redis's clock showed `redisMs` somewhere in
 * between, so for any local instant x: Redis(x) ∈ [redisMs + (x − repliedAt), redisMs + (x − sentAt)].
 */

/** One TIME round trip: local send and receive (`performance.now()`), and Redis's answer in ms (µs fractions). */
export interface ClockSample {
  sentAt: number;
  repliedAt: number;
  redisMs: number;
}

/** How far from a sample its bound is used: both clocks tick at the same rate, but drift is not zero. */
const SAMPLE_REACH_MS = 15_000;

/** Redis TIME (`[seconds, microseconds]`) in ms with µs fractions. */
function redisMsOf(time: ArrayLike<number | string>): number {
  return Number(time[0]) * 1000 + Number(time[1]) / 1000;
}

/** Converts local instants of one process to Redis intervals, from that process's TIME samples. */
export class RedisTimeline {
  private readonly samples: ClockSample[];

  constructor(samples: readonly ClockSample[]) {
    this.samples = [...samples].sort((a, b) => a.sentAt - b.sentAt);
  }

  get size(): number {
    return this.samples.length;
  }

  /**
   * The tightest interval on Redis's clock for local instant `x`: the intersection of every sample's bound
   * within reach (each is true on its own). An empty intersection can only come from drift or a clock step;
   * then the tightest single sample's bound is the answer.
   */
  at(x: number): RedisInterval {
    if (this.samples.length === 0) throw new Error('no TIME sample to convert a local instant with');
    let lo = -Infinity;
    let hi = Infinity;
    let best: ClockSample | undefined;
    for (let i = this.firstWithin(x - SAMPLE_REACH_MS); i < this.samples.length; i++) {
      const sample = this.samples[i];
      if (sample.sentAt > x + SAMPLE_REACH_MS) break;
      lo = Math.max(lo, sample.redisMs + (x - sample.repliedAt));
      hi = Math.min(hi, sample.redisMs + (x - sample.sentAt));
      if (!best || rtt(sample) < rtt(best)) best = sample;
    }
    // Out of reach of every sample (e.g. a replica stopped for longer): the nearest one still bounds it.
    best ??= this.nearest(x);
    if (lo === -Infinity || lo > hi) return boundOf(best, x);
    return { lo, hi };
  }

  /** Index of the first sample sent at or after `t` (binary search). */
  private firstWithin(t: number): number {
    let low = 0;
    let high = this.samples.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.samples[mid].sentAt < t) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private nearest(x: number): ClockSample {
    const i = this.firstWithin(x);
    const after = this.samples[Math.min(i, this.samples.length - 1)];
    const before = this.samples[Math.max(i - 1, 0)];
    return Math.abs(after.sentAt - x) < Math.abs(x - before.repliedAt) ? after : before;
  }
}

function rtt(sample: ClockSample): number {
  return sample.repliedAt - sample.sentAt;
}

function boundOf(sample: ClockSample, x: number): RedisInterval {
  return { lo: sample.redisMs + (x - sample.repliedAt), hi: sample.redisMs + (x - sample.sentAt) };
}

/** Something that answers TIME: a plain ioredis client (never a cluster client: one node's clock). */
export interface TimeSource {
  time(): Promise<ArrayLike<number | string>>;
}

/**
 * Samples TIME every `intervalMs` on a connection of its own (one round trip at a time, so that a paused
 * Redis makes one slow sample, not a pile of them). Failed samples are dropped: they bound nothing.
 */
export class ClockSampler {
  private timer?: NodeJS.Timeout;
  private inFlight = false;

  constructor(
    private readonly source: TimeSource,
    private readonly onSample: (sample: ClockSample) => void,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sample now (also used to take a fresh one right before reading the clock). */
  async sample(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const sentAt = performance.now();
      const reply = await this.source.time();
      const repliedAt = performance.now();
      this.onSample({ sentAt, repliedAt, redisMs: redisMsOf(reply) });
    } catch {
      // Redis unreachable or paused past the client's patience: no bound from this one.
    } finally {
      this.inFlight = false;
    }
  }
}
