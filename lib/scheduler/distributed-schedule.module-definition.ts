import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DistributedScheduleModuleOptions } from './interfaces/distributed-schedule-module-options.interface';

export const {
  ConfigurableModuleClass: DistributedScheduleConfigurableModule,
  MODULE_OPTIONS_TOKEN: DISTRIBUTED_SCHEDULE_MODULE_OPTIONS,
  OPTIONS_TYPE: DISTRIBUTED_SCHEDULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DISTRIBUTED_SCHEDULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DistributedScheduleModuleOptions>({ moduleName: 'DistributedSchedule' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDistributedScheduleOptions')
  // Global by default, like ScheduleModule.forRoot(), BullModule.forRoot() and @liaoliaots/nestjs-redis: a controller
  // of any feature module injects the services; `isGlobal: false` keeps them to the modules that import this one.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
