import type { Operation } from './implementations/implementation';

/** One row of `bench/results/latest.json`. */
export interface ResultRow {
  op: Operation;
  impl: string;
  concurrency: number;
  opsPerSec: number;
  /** Latency percentiles, measured at concurrency 1 only (null on the throughput rows). */
  p50Us: number | null;
  p99Us: number | null;
}

export interface RatioRow {
  op: Operation;
  /** Median over rounds of library ÷ raw ioredis throughput (same round, so the noise cancels). */
  libraryVsRaw: number;
  libraryVsNaive: number;
  /** Median over rounds of library ÷ ioredis with `enableAutoPipelining: true` (the same commands). */
  libraryVsAutopipelined: number;
  /** Library p99 − raw ioredis p99 at concurrency 1, µs: median of the differences of blocks of calls made side by side. */
  p99DeltaUs: number;
  /** The same over all calls at once (more exposed to bursts of machine noise). */
  pooledP99DeltaUs: number;
  /** Median over rounds of library with near-cache ÷ raw ioredis throughput, where measured. */
  nearCacheVsRaw?: number;
}

export interface TargetCheck {
  target: string;
  op: Operation;
  value: number;
  limit: number;
  pass: boolean;
}

const TARGET_LIBRARY_VS_RAW = 0.9;
const TARGET_LIBRARY_VS_NAIVE = 1.0;
const TARGET_LIBRARY_VS_AUTOPIPELINED = 1.0;
const TARGET_P99_DELTA_US = 50;
const TARGET_NEAR_CACHE_MIX_VS_RAW = 3;

export function checkTargets(ratios: readonly RatioRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const ratio of ratios) {
    checks.push({
      target: 'throughput >= 0.9x raw ioredis',
      op: ratio.op,
      value: ratio.libraryVsRaw,
      limit: TARGET_LIBRARY_VS_RAW,
      pass: ratio.libraryVsRaw >= TARGET_LIBRARY_VS_RAW,
    });
    checks.push({
      target: 'throughput >= 1.0x naive port',
      op: ratio.op,
      value: ratio.libraryVsNaive,
      limit: TARGET_LIBRARY_VS_NAIVE,
      pass: ratio.libraryVsNaive >= TARGET_LIBRARY_VS_NAIVE,
    });
    checks.push({
      target: 'throughput >= 1.0x autopipelined',
      op: ratio.op,
      value: ratio.libraryVsAutopipelined,
      limit: TARGET_LIBRARY_VS_AUTOPIPELINED,
      pass: ratio.libraryVsAutopipelined >= TARGET_LIBRARY_VS_AUTOPIPELINED,
    });
    checks.push({
      target: 'p99 @1 <= raw + 50 us',
      op: ratio.op,
      value: ratio.p99DeltaUs,
      limit: TARGET_P99_DELTA_US,
      pass: ratio.p99DeltaUs <= TARGET_P99_DELTA_US,
    });
    if (ratio.op === 'gatewayMix') {
      const value = ratio.nearCacheVsRaw ?? Number.NaN;
      checks.push({
        target: 'near-cache mix >= 3x raw ioredis',
        op: ratio.op,
        value,
        limit: TARGET_NEAR_CACHE_MIX_VS_RAW,
        pass: value >= TARGET_NEAR_CACHE_MIX_VS_RAW,
      });
    }
  }
  return checks;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function number(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The results as a fixed-width table, one line per operation and implementation. */
export function formatTable(rows: readonly ResultRow[], ratios: readonly RatioRow[], impls: readonly string[]): string {
  const lines: string[] = [];
  const header = `${pad('operation', 26)}${pad('implementation', 24)}${pad('ops/s @256', 12, true)}${pad('ops/s @1', 11, true)}${pad('p50 µs @1', 11, true)}${pad('p99 µs @1', 11, true)}`;
  lines.push(header, '-'.repeat(header.length));
  for (const ratio of ratios) {
    for (const impl of impls) {
      const loaded = rows.find((row) => row.op === ratio.op && row.impl === impl && row.concurrency > 1);
      const single = rows.find((row) => row.op === ratio.op && row.impl === impl && row.concurrency === 1);
      if (!loaded && !single) continue;
      lines.push(
        `${pad(ratio.op, 26)}${pad(impl, 24)}${pad(number(loaded?.opsPerSec), 12, true)}${pad(number(single?.opsPerSec), 11, true)}` +
          `${pad(number(single?.p50Us, 1), 11, true)}${pad(number(single?.p99Us, 1), 11, true)}`,
      );
    }
  }
  return lines.join('\n');
}

export function formatRatios(ratios: readonly RatioRow[]): string {
  const lines: string[] = [];
  const header = `${pad('operation', 26)}${pad('library/raw', 13, true)}${pad('library/naive', 15, true)}${pad('library/autopipelined', 23, true)}${pad('p99 Δ µs', 11, true)}${pad('near-cache/raw', 16, true)}`;
  lines.push(header, '-'.repeat(header.length));
  for (const ratio of ratios) {
    lines.push(
      `${pad(ratio.op, 26)}${pad(number(ratio.libraryVsRaw, 2) + 'x', 13, true)}${pad(number(ratio.libraryVsNaive, 2) + 'x', 15, true)}` +
        `${pad(number(ratio.libraryVsAutopipelined, 2) + 'x', 23, true)}` +
        `${pad(number(ratio.p99DeltaUs, 1), 11, true)}${pad(ratio.nearCacheVsRaw === undefined ? '' : number(ratio.nearCacheVsRaw, 2) + 'x', 16, true)}`,
    );
  }
  return lines.join('\n');
}

export function formatChecks(checks: readonly TargetCheck[]): string {
  return checks
    .map((check) => {
      const value = check.target.startsWith('p99') ? `${number(check.value, 1)} µs` : `${number(check.value, 2)}x`;
      return `${check.pass ? 'PASS' : 'FAIL'}  ${pad(check.op, 26)}${pad(check.target, 34)}${value}`;
    })
    .join('\n');
}
