import type { RedisTargetKind } from './fault-plan';

/*
 * How big a history run is (HISTORY_SIZE) and which seed drives it (HISTORY_SEED), from the environment,
 * and the command that re-runs one seed alone.
 */

export type HistorySizeName = 'ci' | 'long';

export interface HistorySize {
  name: HistorySizeName;
  /** One run per target, one after the other. */
  runs: Array<{ target: RedisTargetKind; workloadMs: number }>;
  /** Bound for one run, boot and drain included. */
  timeoutMs: number;
}

const SIZES: Record<HistorySizeName, HistorySize> = {
  // About 3 minutes in all on 2 cores: boot, 150 s of workload and faults, drain, read, check.
  ci: { name: 'ci', runs: [{ target: 'standalone', workloadMs: 150_000 }], timeoutMs: 330_000 },
  // 30 minutes: half on a standalone Redis, half on a cluster (with slot migrations).
  long: {
    name: 'long',
    runs: [
      { target: 'standalone', workloadMs: 840_000 },
      { target: 'cluster', workloadMs: 840_000 },
    ],
    timeoutMs: 1_080_000,
  },
};

export function historySize(): HistorySize {
  const name = process.env.HISTORY_SIZE ?? 'ci';
  if (name !== 'ci' && name !== 'long') throw new Error(`HISTORY_SIZE must be ci or long, not ${JSON.stringify(name)}`);
  return SIZES[name];
}

/** HISTORY_SEED (decimal or 0x hex, 32 bits), or one derived from the time and pid (printed, to re-run). */
export function historySeed(): { seed: number; given: boolean } {
  const text = process.env.HISTORY_SEED;
  if (text === undefined || text === '')
    return { seed: (Date.now() ^ Math.imul(process.pid, 2654435761)) >>> 0, given: false };
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new Error(`HISTORY_SEED must be an integer from 0 to 2^32 - 1, not ${JSON.stringify(text)}`);
  return { seed, given: true };
}

/** The command that builds and runs this seed alone. */
export function rerunCommand(seed: number, size: HistorySizeName): string {
  return (
    `npm run build && npm run build:test && HISTORY_SEED=${seed} HISTORY_SIZE=${size} ` +
    `TEST_PATTERN='test/scheduler/history/scheduler-under-faults' node test/run.mjs`
  );
}
