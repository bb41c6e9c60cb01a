import type { TestingModule } from '@nestjs/testing';
import { Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { DistributedSchedulerService, ScheduledRunContext } from '../../../lib';
import { jitterOffset } from '../../../lib/scheduler/cron/jitter-offset';
import { describeOnTargets } from '../../harness/redis-target';
import { pollUntil, sleep } from '../../harness/wait';
import { startSchedulerApp } from '../runtime/scheduler-app';

/*
 * Test audit (issue 17): a run claimed ahead (lookAheadMs, default 500) starts at its time on Redis's clock (its
 * fire time plus its jitter), never before, to the millisecond. Two proofs of an early start, both from Redis TIME
 * on a connection of the test's own: (1) the handler's first act sends TIME; Redis reads its clock after the
 * handler started, so a reply below the start time (µs) is an early start; (2) the handler's first act reads this
 * process's monotonic clock, and TIME round trips before and after the fires bound Redis's clock from above at
 * that local instant (Redis read its clock after each request was sent), so a bound below the start time is an
 * early start too, without the handler's own round trip. Several tasks fire every second in this process, each
 * with its own jitter (each fire has a start time of its own in the second: many independent starts), so that
 * many fires are claimed ahead and started on the local timer that converts Redis time to this process's clock.
 * A fire's start time is its fire time plus `jitterOffset` (the pinned formula every replica computes).
 */

const NS = 'never-early';
const TASKS = 8;
/** Each fire of a task starts at its fire time plus a deterministic offset in [0, JITTER_MS). */
const JITTER_MS = 1_000;
/** How long the tasks fire: about this many fire times, each started by every task. */
const FIRE_SECONDS = 15;
/** TIME round trips per calibration of the upper bound on Redis's clock. */
const CALIBRATION_ROUND_TRIPS = 50;

interface Reading {
  taskId: string;
  scheduledAtMs: number;
  /** `performance.now()` as the handler's first act. */
  startedLocalMs: number;
  /** Redis TIME (µs) read right after the handler was called. */
  redisUs: number;
}

/** Redis TIME in µs. */
async function redisMicros(client: Redis | Cluster): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1e6 + Number(micros);
}

/**
 * The least `redisUs − localSentAt·1000` over TIME round trips: Redis read its clock after the request was sent,
 * so at any local instant `s` (ms, `performance.now()`) Redis's clock was at most `s·1000 + this` µs.
 */
async function upperBoundOffsetUs(client: Redis | Cluster): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < CALIBRATION_ROUND_TRIPS; i++) {
    const sentAt = performance.now();
    best = Math.min(best, (await redisMicros(client)) - sentAt * 1000);
    await sleep(5);
  }
  return best;
}

describeOnTargets('runs claimed ahead never start early, to the millisecond of Redis TIME', (target) => {
  let app: TestingModule;
  let scheduler: DistributedSchedulerService;
  let probe: Redis | Cluster;
  const readings: Reading[] = [];
  const failedReads: string[] = [];

  before(async () => {
    await target.start();
    probe = target.rawClient();
    await pollUntil('the probe connection', 10_000, async () => (probe.status === 'ready' ? true : probe.status));
    ({ app, scheduler } = await startSchedulerApp({
      redis: { ...target.moduleOptions(), metrics: false },
      // Default lookAheadMs (500): most fires are claimed ahead and started on the local timer. Looks every 20 ms
      // give the replica many quick replies, so its bound on Redis's clock is tight and its starts come within
      // about a millisecond after their time: a start 1 ms early then shows.
      scheduler: { namespace: NS, maxConcurrent: 2 * TASKS, pollIntervalMs: 20 },
    }));
  });

  after(async () => {
    await app?.close();
    probe?.disconnect();
    await target.stop();
  });

  it('no handler starts before its time (fire time + jitter) by Redis TIME, to the µs', async (t) => {
    scheduler.registerWorkflow('probe', (run: ScheduledRunContext) => {
      // First acts of the handler: the local clock, then TIME (written to the socket before anything else).
      const startedLocalMs = performance.now();
      const scheduledAtMs = run.scheduledAt.getTime();
      redisMicros(probe).then(
        (redisUs) => readings.push({ taskId: run.taskId, scheduledAtMs, startedLocalMs, redisUs }),
        (error: Error) => failedReads.push(`${run.taskId}@${scheduledAtMs}: ${error.message}`),
      );
    });
    const boundBefore = await upperBoundOffsetUs(probe);
    for (let i = 0; i < TASKS; i++)
      await scheduler.addTask({
        id: `tick-${i}`,
        name: `tick-${i}`,
        cron: '* * * * * *',
        workflow: 'probe',
        jitterMs: JITTER_MS,
      });
    await sleep(FIRE_SECONDS * 1_000);
    for (let i = 0; i < TASKS; i++) await scheduler.disableTask(`tick-${i}`);
    await sleep(300);
    // Valid at both ends of the test: the larger (looser) of the two bounds.
    const offsetUs = Math.max(boundBefore, await upperBoundOffsetUs(probe));

    assert.deepEqual(failedReads, [], 'a TIME read failed');
    const fires = new Set(readings.map((r) => r.scheduledAtMs));
    assert.ok(
      fires.size >= FIRE_SECONDS / 2 && readings.length >= (TASKS * FIRE_SECONDS) / 2,
      `only ${readings.length} starts over ${fires.size} fire times`,
    );
    // Microseconds of Redis's clock past its start time, at most, at each start (negative: early), by either proof.
    const margins = readings.map((r) => {
      const dueAtMs = r.scheduledAtMs + jitterOffset(r.taskId, r.scheduledAtMs, JITTER_MS);
      const atMostUs = Math.min(r.redisUs, r.startedLocalMs * 1000 + offsetUs);
      return { ...r, dueAtMs, marginUs: Math.round(atMostUs - dueAtMs * 1000) };
    });
    const early = margins.filter((r) => r.marginUs < 0);
    assert.deepEqual(
      early.map((r) => `${r.taskId} due ${new Date(r.dueAtMs).toISOString()} started ${-r.marginUs} µs early`),
      [],
      'a handler started before its time by Redis TIME',
    );

    // The history agrees: no attempt recorded as started before its fire time.
    for (let i = 0; i < TASKS; i++) {
      for (const run of await scheduler.getRuns(`tick-${i}`, 50)) {
        if (run.startedAt !== null)
          assert.ok(run.startedAt >= run.scheduledAt, `recorded as started early: ${JSON.stringify(run)}`);
      }
    }
    const sorted = margins.map((r) => r.marginUs).sort((a, b) => a - b);
    t.diagnostic(
      `figures: ${readings.length} starts (${new Set(margins.map((r) => r.dueAtMs)).size} distinct start times) ` +
        `over ${fires.size} fire times; start after its time: min ${sorted[0]} µs, median ` +
        `${sorted[Math.floor(sorted.length / 2)]} µs, max ${sorted[sorted.length - 1]} µs`,
    );
  });
});
