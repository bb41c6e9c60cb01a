import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { RedisConnection } from '../core/connection/redis-connection';
import { ErrorCode } from '../core/errors/error-code';
import { StatefulError } from '../core/errors/stateful.error';
import type { ResolvedStatefulRedisOptions } from '../core/interfaces/stateful-redis-module-options.interface';
import { OperationPipeline } from '../core/operations/operation-pipeline';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from '../core/stateful-redis.constants';
import { StatefulExecutorService } from '../routing/stateful-executor.service';
import { DistributedSchedulerService } from '../scheduler/distributed-scheduler.service';
import { DASHBOARD_OWNER } from './dashboard.constants';

interface Required {
  routing: StatefulExecutorService;
  connection: RedisConnection;
  pipeline: OperationPipeline;
  redisOptions: ResolvedStatefulRedisOptions;
}

/**
 * What the dashboard shows and uses, found wherever the app provides it (no import or `isGlobal` needed):
 * the routing directory and the connection of `StatefulRedisModule` (required: the app stops at init with a
 * message saying so), the scheduler of `DistributedScheduleModule` (optional: the scheduler page says so).
 */
@Injectable()
export class DashboardSources implements OnModuleInit {
  private found?: Required;
  private schedulerService: DistributedSchedulerService | null = null;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    try {
      this.found = {
        routing: this.moduleRef.get(StatefulExecutorService, { strict: false }),
        connection: this.moduleRef.get(RedisConnection, { strict: false }),
        pipeline: this.moduleRef.get(OperationPipeline, { strict: false }),
        redisOptions: this.moduleRef.get(STATEFUL_REDIS_RESOLVED_OPTIONS, { strict: false }),
      };
    } catch {
      throw new StatefulError(
        ErrorCode.NOT_INITIALIZED,
        `${DASHBOARD_OWNER} shows the directory of StatefulRedisModule, which this application does not import: ` +
          'add StatefulRedisModule.forRoot(...) or StatefulRedisModule.forRootAsync(...) to its imports',
        { operation: DASHBOARD_OWNER },
      );
    }
    try {
      this.schedulerService = this.moduleRef.get(DistributedSchedulerService, { strict: false });
    } catch {
      this.schedulerService = null;
    }
  }

  /** The routing directory. */
  get routing(): StatefulExecutorService {
    return this.required.routing;
  }

  /** The core's connection and pipeline, and its options (`keyPrefix`, `routableStates`). */
  get core(): Omit<Required, 'routing'> {
    return this.required;
  }

  /**
   * Redis TIME in ms: the clock of the pods' reports (`lastSeenAt`) and of their liveness, which the app's own
   * clock may be seconds away from. One round trip; a view reads it once.
   */
  async redisTime(): Promise<number> {
    const { connection, pipeline } = this.required;
    const [seconds, microseconds] = await pipeline.send('dashboard', 'dashboardRedisTime', {}, () =>
      connection.client.time(),
    );
    return Number(seconds) * 1_000 + Math.floor(Number(microseconds) / 1_000);
  }

  /** The scheduler, or `null` when the app has none. */
  get scheduler(): DistributedSchedulerService | null {
    return this.schedulerService;
  }

  private get required(): Required {
    if (!this.found) throw new StatefulError(ErrorCode.NOT_INITIALIZED, `${DASHBOARD_OWNER} is not initialised yet`);
    return this.found;
  }
}
