import { Inject, Injectable } from '@nestjs/common';
import type { StatefulRedisCore } from '../core/stateful-redis-core';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { performance } from 'node:perf_hooks';
import type { ResolvedDistributedScheduleOptions } from './interfaces/distributed-schedule-module-options.interface';
import { SchedulerLoop } from './runtime/scheduler-loop';
import { DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS, SCHEDULER_CORE } from './scheduler.constants';

/**
 * Terminus indicator of this replica's scheduler: `up` while its loop runs and its last look at Redis
 * succeeded, `down` with a `message` saying why otherwise. Details: `loopAlive`, `redisReachable`,
 * `runningRuns`, `oldestOverdueMs` (how late the oldest due fire was at the last look, Redis time; `null`
 * before the first one). Reads the loop's state only: it never waits for Redis. So a Redis that stops answering
 * without closing the connection (a hung or paused server) shows once a look has failed on it: the indicator may
 * still say `up` for at most `pollIntervalMs` + the module's `commandTimeoutMs` after the stall began (3 s with
 * the defaults); a closed connection shows at once.
 */
@Injectable()
export class DistributedSchedulerHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    private readonly loop: SchedulerLoop,
    @Inject(SCHEDULER_CORE) private readonly core: StatefulRedisCore,
    @Inject(DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS) private readonly options: ResolvedDistributedScheduleOptions,
  ) {}

  async isHealthy(key: string): Promise<HealthIndicatorResult> {
    const indicator = this.healthIndicatorService.check(key);
    const observation = this.loop.observation;
    // A look takes a few round trips, each bounded by the command timeout, then sleeps at most a poll.
    const stalledAfterMs = this.options.pollIntervalMs + 4 * this.core.options.commandTimeoutMs + 1_000;
    const sinceLastLookMs = observation === undefined ? undefined : performance.now() - observation.at;
    const loopAlive =
      this.loop.state === 'running' && sinceLastLookMs !== undefined && sinceLastLookMs <= stalledAfterMs;
    const redisReachable = this.core.connection.isReady && observation !== undefined && observation.error === undefined;
    const details = {
      loopAlive,
      redisReachable,
      runningRuns: this.loop.runningCount,
      oldestOverdueMs: observation?.oldestOverdueMs ?? null,
    };
    if (loopAlive && redisReachable) return indicator.up(details);
    return indicator.down({ ...details, message: this.reason(sinceLastLookMs, observation?.error) });
  }

  private reason(sinceLastLookMs: number | undefined, error: string | undefined): string {
    if (this.loop.state !== 'running')
      return `the scheduler loop is ${this.loop.state === 'created' ? 'not started' : this.loop.state}`;
    if (!this.core.connection.isReady)
      return `Redis is not connected (status: ${this.core.connection.client.status}); no run starts until it is back`;
    // The answer is often public (a health endpoint): the failed call and its arguments are in the loop's log line
    // ("Stopped claiming runs: the look at Redis failed (…)"), not here.
    if (error !== undefined)
      return "the scheduler's last look at Redis failed; no run starts until one succeeds (details in the log)";
    if (sinceLastLookMs === undefined) return 'the scheduler loop has not looked at Redis yet';
    return `the scheduler loop has not looked at Redis for ${Math.round(sinceLastLookMs)} ms`;
  }
}
