import type { Provider } from '@nestjs/common';
import { RedisConnection } from '../core/connection/redis-connection';
import type { ResolvedStatefulRedisOptions } from '../core/interfaces/stateful-redis-module-options.interface';
import { OperationMetrics } from '../core/metrics/operation-metrics';
import {
  HealthDetails,
  STATEFUL_REDIS_HEALTH_DETAILS,
  STATEFUL_REDIS_RESOLVED_OPTIONS,
} from '../core/stateful-redis.constants';
import { NearCache } from './near-cache/near-cache';

/**
 * The routing feature's own providers besides its service: the near-cache (or `null` when it is off), whose
 * tracking state is reported by the metrics and the health indicator.
 */
export const routingProviders: Provider[] = [
  {
    provide: NearCache,
    useFactory: (
      options: ResolvedStatefulRedisOptions,
      connection: RedisConnection,
      metrics: OperationMetrics | null,
    ) => {
      if (!options.nearCache) return null;
      const { maxEntries } = options.nearCache;
      const { keyPrefix, connectTimeoutMs } = options;
      const nearCache = new NearCache({ maxEntries, keyPrefix, connectTimeoutMs }, connection);
      if (metrics) nearCache.onClose(metrics.observeNearCache(() => nearCache.trackingStatus()));
      return nearCache;
    },
    inject: [STATEFUL_REDIS_RESOLVED_OPTIONS, RedisConnection, OperationMetrics],
  },
  {
    provide: STATEFUL_REDIS_HEALTH_DETAILS,
    useFactory: (nearCache: NearCache | null): HealthDetails | null => {
      if (!nearCache) return null;
      return () => {
        const { channels, activeChannels } = nearCache.trackingStatus();
        return { nearCacheTracking: channels > 0 && activeChannels === channels };
      };
    },
    inject: [NearCache],
  },
];
