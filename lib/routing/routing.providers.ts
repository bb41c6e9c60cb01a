import type { Provider } from '@nestjs/common';
import { RedisConnection } from '../core/connection/redis-connection';
import type { ResolvedStatefulRedisOptions } from '../core/interfaces/stateful-redis-module-options.interface';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from '../core/stateful-redis.constants';
import { NearCache } from './near-cache/near-cache';

/** The routing feature's own providers besides its service: the near-cache, or `null` when it is off. */
export const routingProviders: Provider[] = [
  {
    provide: NearCache,
    useFactory: (options: ResolvedStatefulRedisOptions, connection: RedisConnection) =>
      options.nearCache ? new NearCache({ maxEntries: options.nearCache.maxEntries, keyPrefix: options.keyPrefix, connectTimeoutMs: options.connectTimeoutMs }, connection) : null,
    inject: [STATEFUL_REDIS_RESOLVED_OPTIONS, RedisConnection],
  },
];
