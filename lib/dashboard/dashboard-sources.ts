import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ErrorCode } from '../core/errors/error-code';
import { StatefulError } from '../core/errors/stateful.error';
import { requireCore, StatefulRedisCore } from '../core/stateful-redis-core';
import { StatefulExecutorService } from '../routing/stateful-executor.service';
import { DistributedSchedulerService } from '../scheduler/distributed-scheduler.service';
import { DASHBOARD_OWNER } from './dashboard.constants';

/** What the dashboard cannot work without, found at init. */
interface RequiredSources {
  core: StatefulRedisCore;
  routing: StatefulExecutorService;
}

/**
 * What the dashboard shows and uses: the core of `StatefulRedisModule` (required: the app stops at init with the
 * message of `requireCore`), and two services of other features found wherever the app provides them (no import or
 * `isGlobal` needed): the routing directory of `StatefulRedisModule`, and the scheduler of
 * `DistributedScheduleModule` (optional: the scheduler page says so).
 */
@Injectable()
export class DashboardSources implements OnModuleInit {
  private found?: RequiredSources;
  private schedulerService: DistributedSchedulerService | null = null;

  constructor(
    @Optional() @Inject(StatefulRedisCore) private readonly statefulRedisCore: StatefulRedisCore | null,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const core = requireCore(DASHBOARD_OWNER, this.statefulRedisCore);
    // Provided beside the core by StatefulRedisModule, visible to this module or not (`isGlobal: false`).
    this.found = { core, routing: this.moduleRef.get(StatefulExecutorService, { strict: false }) };
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
  get core(): StatefulRedisCore {
    return this.required.core;
  }

  /**
   * Redis TIME in ms: the clock of the pods' reports (`lastSeenAt`) and of their liveness, which the app's own
   * clock may be seconds away from. One round trip; a view reads it once.
   */
  async redisTime(): Promise<number> {
    const { connection, pipeline } = this.core;
    const [seconds, microseconds] = await pipeline.send('dashboard', 'dashboardRedisTime', {}, () =>
      connection.client.time(),
    );
    return Number(seconds) * 1_000 + Math.floor(Number(microseconds) / 1_000);
  }

  /** The scheduler, or `null` when the app has none. */
  get scheduler(): DistributedSchedulerService | null {
    return this.schedulerService;
  }

  private get required(): RequiredSources {
    if (!this.found) throw new StatefulError(ErrorCode.NOT_INITIALIZED, `${DASHBOARD_OWNER} is not initialised yet`);
    return this.found;
  }
}
