import { performance } from 'node:perf_hooks';
import type { OperationCall } from './implementations/implementation';

/**
 * Runs `call` from `concurrency` callers for about `durationMs` (or until `maxCalls` calls have
 * started); returns calls per second. `next` hands out call numbers, so that successive segments
 * go on with new inputs.
 */
export async function throughput(
  call: OperationCall,
  next: () => number,
  concurrency: number,
  durationMs: number,
  maxCalls = Infinity,
): Promise<number> {
  let completed = 0;
  let started = 0;
  let stopped = false;
  const begin = performance.now();
  const end = durationMs > 0 ? begin + durationMs : Infinity;
  const caller = async () => {
    // The clock is read on every call: a near-cache hit never yields to timers.
    while (!stopped && started < maxCalls) {
      started++;
      await call(next());
      completed++;
      if (performance.now() >= end) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return completed / ((performance.now() - begin) / 1_000);
}

/** Runs `count` calls one after the other and appends each one's latency (µs) to `samples`. */
export async function latencies(
  call: OperationCall,
  next: () => number,
  count: number,
  samples: number[],
): Promise<number> {
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    const before = performance.now();
    await call(next());
    samples.push((performance.now() - before) * 1_000);
  }
  return count / ((performance.now() - started) / 1_000);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
