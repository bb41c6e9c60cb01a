import { buildGlobalModule } from '../core/global-module-builder';
import type { DistributedScheduleModuleOptions } from './interfaces/distributed-schedule-module-options.interface';

export const {
  ConfigurableModuleClass: DistributedScheduleConfigurableModule,
  MODULE_OPTIONS_TOKEN: DISTRIBUTED_SCHEDULE_MODULE_OPTIONS,
  OPTIONS_TYPE: DISTRIBUTED_SCHEDULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DISTRIBUTED_SCHEDULE_ASYNC_OPTIONS_TYPE,
} = buildGlobalModule<DistributedScheduleModuleOptions, 'createDistributedScheduleOptions'>(
  'DistributedSchedule',
  'createDistributedScheduleOptions',
);
