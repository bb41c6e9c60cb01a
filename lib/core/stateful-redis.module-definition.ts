import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { StatefulRedisModuleOptions } from './interfaces/stateful-redis-module-options.interface';

export const {
  ConfigurableModuleClass: StatefulRedisConfigurableModule,
  MODULE_OPTIONS_TOKEN: STATEFUL_REDIS_MODULE_OPTIONS,
  OPTIONS_TYPE: STATEFUL_REDIS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: STATEFUL_REDIS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StatefulRedisModuleOptions>({ moduleName: 'StatefulRedis' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createStatefulRedisOptions')
  // Global by default, like ScheduleModule.forRoot(), BullModule.forRoot() and @liaoliaots/nestjs-redis: a controller
  // of any feature module injects the services; `isGlobal: false` keeps them to the modules that import this one.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

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
