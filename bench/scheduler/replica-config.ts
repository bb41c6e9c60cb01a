/** The schedulers the suite compares. */
export const SCHEDULER_IMPLEMENTATIONS = ['library', 'bullmq', 'nest-schedule'] as const;
export type SchedulerImplementation = (typeof SCHEDULER_IMPLEMENTATIONS)[number];

/**
 * `steady`: every task fires every second, all at the whole second; `spread`: as many tasks, every second too, each
 * fire due at its own offset in [0, SPREAD_MS) after the second; `herd`: every task fires once, all in the same second.
 */
export const LOAD_KINDS = ['steady', 'spread', 'herd'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

/** The width of the spread load's offsets: the library's `jitterMs`, BullMQ's per-scheduler offset range. */
export const SPREAD_MS = 1_000;

/** One bench replica's configuration, passed as JSON in `SF_BENCH_REPLICA`. */
export interface BenchReplicaConfig {
  implementation: SchedulerImplementation;
  kind: LoadKind;
  redis: string;
  instanceId: string;
  /** Tasks of the load (declared at boot by `@nestjs/schedule`; added by the orchestrator otherwise). */
  tasks: number;
  /** The herd's fire time (ms since the epoch, a whole second). */
  herdAt?: number;
  /** The library's `maxConcurrent` / a BullMQ worker's `concurrency`. */
  concurrency: number;
  /** What a handler does after reporting its start: waits this long (0: returns at once). */
  workMs: number;
}

/** The BullMQ queue and the library namespace the suite uses. */
export const BENCH_QUEUE = 'sched-bench';
export const BENCH_NAMESPACE = 'sched-bench';
export const BENCH_WORKFLOW = 'bench';

/** The 6-field cron expression (UTC) that fires once, at the whole second `at`. */
export function cronAt(at: number): string {
  const date = new Date(at);
  return `${date.getUTCSeconds()} ${date.getUTCMinutes()} ${date.getUTCHours()} ${date.getUTCDate()} ${date.getUTCMonth() + 1} *`;
}

export const EVERY_SECOND = '* * * * * *';
