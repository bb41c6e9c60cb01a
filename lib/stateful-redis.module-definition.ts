import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { StatefulRedisModuleOptions } from './core/interfaces/stateful-redis-module-options.interface';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: STATEFUL_REDIS_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StatefulRedisModuleOptions>({ moduleName: 'StatefulRedis' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createStatefulRedisOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
