import { buildGlobalModule } from './global-module-builder';
import type { StatefulRedisModuleOptions } from './interfaces/stateful-redis-module-options.interface';

export const {
  ConfigurableModuleClass: StatefulRedisConfigurableModule,
  MODULE_OPTIONS_TOKEN: STATEFUL_REDIS_MODULE_OPTIONS,
  OPTIONS_TYPE: STATEFUL_REDIS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: STATEFUL_REDIS_ASYNC_OPTIONS_TYPE,
} = buildGlobalModule<StatefulRedisModuleOptions, 'createStatefulRedisOptions'>(
  'StatefulRedis',
  'createStatefulRedisOptions',
);

/**
 * @deprecated Use `STATEFUL_REDIS_OPTIONS_TYPE`: each module's exports are named after it.
 * @alias
 */
export const OPTIONS_TYPE = STATEFUL_REDIS_OPTIONS_TYPE;
/**
 * @deprecated Use `STATEFUL_REDIS_ASYNC_OPTIONS_TYPE`: each module's exports are named after it.
 * @alias
 */
export const ASYNC_OPTIONS_TYPE = STATEFUL_REDIS_ASYNC_OPTIONS_TYPE;
