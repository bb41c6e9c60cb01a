import type { Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TaskRun } from '../../../lib';
import type { ReplicaGroup, ReplicaProcess, ReplicaStartOptions } from '../../harness/replica-process';
import type { ReplicaConfig, ReplicaTaskSpec, RunEndEvent, RunStartEvent } from './replica-config';
import { HISTORY_LENGTH } from './scheduler-observer';

/** The compiled fixture app, beside this file in the build. */
const REPLICA_APP = join(__dirname, 'fixtures', 'replica-app.js');

/** Short leases and polls, so that a whole scenario takes seconds. */
export const FAST_MODULE_OPTIONS = { leaseMs: 1_500, pollIntervalMs: 500, historyLength: HISTORY_LENGTH } as const;

/** How to start one replica of the fixture app with `config` (and its clock off by `faketime`, e.g. `'+40s'`). */
export function replica(config: ReplicaConfig, faketime?: string): ReplicaStartOptions {
  return { name: config.instanceId, script: REPLICA_APP, env: { SF_REPLICA_CONFIG: JSON.stringify(config) }, faketime };
}

/** Every handler start the replicas printed, optionally of one task, in arrival order. */
export function starts(group: ReplicaGroup, task?: string): Array<RunStartEvent & { replica: string }> {
  return group.events('start').filter((e) => task === undefined || e.task === task) as unknown as Array<
    RunStartEvent & { replica: string }
  >;
}

/** Every handler end (`finish`) or abort the replicas printed, optionally of one task. */
export function ends(
  group: ReplicaGroup,
  event: 'finish' | 'abort',
  task?: string,
): Array<RunEndEvent & { replica: string }> {
  return group.events(event).filter((e) => task === undefined || e.task === task) as unknown as Array<
    RunEndEvent & { replica: string }
  >;
}

/** The first handler start of each task on `process`, by task name (waiting up to 10 s for each, in turn). */
export async function firstStartOfEach(
  process: ReplicaProcess,
  tasks: ReplicaTaskSpec[],
): Promise<Map<string, RunStartEvent>> {
  const held = new Map<string, RunStartEvent>();
  for (const task of tasks)
    held.set(
      task.name,
      (await process.waitFor('start', (e) => e.task === task.name, 10_000)) as unknown as RunStartEvent,
    );
  return held;
}

/** `task@scheduledAt#attempt` keys started more than once (by any replica): must be empty. */
export function duplicateStarts(events: RunStartEvent[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) {
    const key = `${e.task}@${new Date(e.scheduledAt).toISOString()}#${e.attempt}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([key, count]) => `${key} x${count}`);
}

/** Redis `TIME` in milliseconds. */
export async function redisTimeMs(client: Redis | Cluster): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Fire times of an every-second cron in `[fromMs, toMs]`. */
export function everySecond(fromMs: number, toMs: number): number[] {
  const fires: number[] = [];
  for (let t = Math.ceil(fromMs / 1000) * 1000; t <= toMs; t += 1000) fires.push(t);
  return fires;
}

/** p50 and max of a list of numbers (milliseconds), for the figures a test prints. */
export function spread(values: number[]): { p50: number; max: number; count: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    count: sorted.length,
  };
}

/** Fire lag of handler starts: Redis TIME read by the handler − scheduledAt (first attempts only). */
export function startLag(events: RunStartEvent[]): { p50: number; max: number; count: number } {
  return spread(
    events.filter((e) => e.attempt === 1 && e.redisNow !== null).map((e) => (e.redisNow as number) - e.scheduledAt),
  );
}

/** History entries grouped by fire time (ms). */
export function byFire(runs: TaskRun[]): Map<number, TaskRun[]> {
  const grouped = new Map<number, TaskRun[]>();
  for (const run of runs) {
    const fire = run.scheduledAt.getTime();
    grouped.set(fire, [...(grouped.get(fire) ?? []), run]);
  }
  return grouped;
}

/** Statuses that say a fire started a handler. */
const RAN = new Set(['running', 'success', 'failed', 'cancelled', 'retry', 'lost']);

/**
 * Guarantee 3: every fire time in `fires` is in the history, as a run, `skipped` or `missed`; none twice as a
 * first attempt. Returns how many of each.
 */
export function assertNothingVanished(
  task: string,
  runs: TaskRun[],
  fires: number[],
): { ran: number; skipped: number; missed: number } {
  const grouped = byFire(runs);
  const counts = { ran: 0, skipped: 0, missed: 0 };
  for (const fire of fires) {
    const entries = grouped.get(fire) ?? [];
    const iso = new Date(fire).toISOString();
    assert.ok(entries.length > 0, `${task}: the fire of ${iso} is nowhere in the history (${describeRuns(runs)})`);
    const firstAttempts = entries.filter((run) => run.attempt === 1);
    assert.equal(
      firstAttempts.length,
      1,
      `${task}: the fire of ${iso} has ${firstAttempts.length} first-attempt entries: ${describeRuns(entries)}`,
    );
    const status = firstAttempts[0].status;
    if (RAN.has(status)) counts.ran++;
    else if (status === 'skipped') counts.skipped++;
    else if (status === 'missed') counts.missed++;
    else assert.fail(`${task}: the fire of ${iso} ended as ${status}`);
  }
  return counts;
}

/** A compact history for failure messages. */
export function describeRuns(runs: TaskRun[]): string {
  return runs
    .map(
      (run) => `${run.scheduledAt.toISOString().slice(11, 23)}#${run.attempt}:${run.status}@${run.instanceId ?? '-'}`,
    )
    .join(' ');
}

/** `p50=…ms max=…ms (n=…)`. */
export function formatLag(lag: { p50: number; max: number; count: number }): string {
  return `p50=${lag.p50}ms max=${lag.max}ms (n=${lag.count})`;
}
