import { Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, it } from 'node:test';
import { DistributedSchedulerHealthIndicator } from '../../../lib';
import type { SchedulerCore } from '../../../lib/scheduler/runtime/scheduler-core';
import type { LoopObservation, SchedulerLoop } from '../../../lib/scheduler/runtime/scheduler-loop';
import { CapturingLogger } from '../../harness/capturing-logger';

/*
 * The health answer of the scheduler is often a public endpoint: a failed look's text (the call and its
 * arguments) goes to the log, once per failure, and the answer says it in short. Driven by a stand-in loop.
 */

const FAILURE = 'peek(instanceId="i-1", workflows=[3 items], limit=5) failed: Command timed out';

function indicatorWith(observation: () => LoopObservation | undefined): DistributedSchedulerHealthIndicator {
  const loop = {
    state: 'running',
    runningCount: 0,
    get observation() {
      return observation();
    },
  } as unknown as SchedulerLoop;
  const core = {
    connection: { isReady: true, client: { status: 'ready' } },
    options: { commandTimeoutMs: 2_000 },
  } as unknown as SchedulerCore;
  return new DistributedSchedulerHealthIndicator(new HealthIndicatorService(), loop, core, {
    pollIntervalMs: 1_000,
  } as never);
}

describe('DistributedSchedulerHealthIndicator: a failed look', () => {
  const logger = new CapturingLogger();
  Logger.overrideLogger(logger);
  afterEach(() => logger.lines.splice(0));

  it('answers in short and logs the details once per failure, again when it fails anew after a recovery', async () => {
    let current: LoopObservation | undefined = { at: performance.now(), error: FAILURE, oldestOverdueMs: 0 };
    const indicator = indicatorWith(() => current && { ...current, at: performance.now() });
    const logged = () => logger.find('warn', /Scheduler health: down: the last look failed: peek\(/).length;

    for (let i = 0; i < 3; i++) {
      const answer = (await indicator.isHealthy('scheduler')).scheduler;
      assert.equal(answer.status, 'down');
      assert.equal(
        answer.message,
        "the scheduler's last look at Redis failed; no run starts until one succeeds (details in the log)",
      );
    }
    assert.equal(logged(), 1);

    current = { at: performance.now(), oldestOverdueMs: 0 };
    assert.equal((await indicator.isHealthy('scheduler')).scheduler.status, 'up');
    current = { at: performance.now(), error: FAILURE, oldestOverdueMs: 0 };
    assert.equal((await indicator.isHealthy('scheduler')).scheduler.status, 'down');
    assert.equal(logged(), 2, 'the same failure after a recovery is logged again');
  });
});
