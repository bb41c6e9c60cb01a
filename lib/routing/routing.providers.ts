import type { Provider } from '@nestjs/common';
import { HealthDetails, STATEFUL_REDIS_HEALTH_DETAILS } from '../core/stateful-redis.constants';
import { optionalCore, requireCore, StatefulRedisCore } from '../core/stateful-redis-core';
import { NearCache } from './near-cache/near-cache';
import { StatefulExecutorService } from './stateful-executor.service';

const OWNER = 'StatefulExecutorService';

/**
 * The routing feature's providers, on the core of `StatefulRedisModule`: its service, and the near-cache (or `null`
 * when it is off), whose tracking state is reported by the metrics and the health indicator.
 */
export const routingProviders: Provider[] = [
  {
    provide: NearCache,
    useFactory: (core: StatefulRedisCore | null) => {
      const { options, connection, metrics } = requireCore(OWNER, core);
      if (!options.nearCache) return null;
      const { maxEntries } = options.nearCache;
      const { keyPrefix, connectTimeoutMs } = options;
      const nearCache = new NearCache({ maxEntries, keyPrefix, connectTimeoutMs }, connection);
      if (metrics) nearCache.onClose(metrics.observeNearCache(() => nearCache.trackingStatus()));
      return nearCache;
    },
    inject: [optionalCore],
  },
  {
    provide: StatefulExecutorService,
    useFactory: (core: StatefulRedisCore | null, nearCache: NearCache | null) =>
      new StatefulExecutorService(requireCore(OWNER, core), nearCache),
    inject: [optionalCore, NearCache],
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
