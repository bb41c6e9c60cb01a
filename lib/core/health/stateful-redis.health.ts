import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { performance } from 'node:perf_hooks';
import { withDeadline } from '../connection/with-deadline';
import { ErrorCode } from '../errors/error-code';
import { scrubText } from '../errors/credential-scrubber';
import { classifyRedisError } from '../errors/redis-error.mapper';
import { HealthDetails, STATEFUL_REDIS_HEALTH_DETAILS } from '../stateful-redis.constants';
import { requireCore, StatefulRedisCore } from '../stateful-redis-core';

/**
 * Terminus indicator: `up` with the PING round trip and whether the Lua scripts of every feature are
 * cached, `down` with a `message`. Bounded by `healthCheckTimeoutMs`, so `/health` never hangs.
 * Features add details of their own (`STATEFUL_REDIS_HEALTH_DETAILS`), e.g. the near-cache's `nearCacheTracking`:
 * whether tracking is on for every node it reads (when not, reads go to Redis, slower but right: still `up`).
 */
@Injectable()
export class StatefulRedisHealthIndicator {
  private readonly core: StatefulRedisCore;

  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    @Optional() @Inject(StatefulRedisCore) core: StatefulRedisCore | null,
    @Optional() @Inject(STATEFUL_REDIS_HEALTH_DETAILS) private readonly featureDetails: HealthDetails | null = null,
  ) {
    this.core = requireCore('StatefulRedisHealthIndicator', core);
  }

  async isHealthy(key: string, timeoutMs = this.core.options.healthCheckTimeoutMs): Promise<HealthIndicatorResult> {
    const { connection, scripts } = this.core;
    const indicator = this.healthIndicatorService.check(key);
    // Without a connection ioredis would queue the PING: answer at once instead.
    if (!connection.isReady) {
      return indicator.down({ message: `Redis is not connected (status: ${connection.client.status})` });
    }
    try {
      const started = performance.now();
      await withDeadline(connection.client.ping(), timeoutMs);
      const roundTripMs = Number((performance.now() - started).toFixed(3));
      const scriptsLoaded = await withDeadline(scripts.loaded(), timeoutMs);
      return indicator.up({ roundTripMs, scriptsLoaded, ...this.featureDetails?.() });
    } catch (error) {
      // The library's deadline (a CommandTimeoutError) or ioredis's own commandTimeout, whichever came first.
      const timedOut = classifyRedisError(error) === ErrorCode.TIMEOUT;
      if (timedOut) connection.timedOut();
      const message = timedOut ? `Redis did not answer within ${timeoutMs} ms` : scrubText((error as Error).message);
      return indicator.down({ message });
    }
  }
}
