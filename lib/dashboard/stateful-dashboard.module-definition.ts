import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { StatefulDashboardOptions } from './interfaces/stateful-dashboard-options.interface';

export const {
  ConfigurableModuleClass: StatefulDashboardConfigurableModule,
  MODULE_OPTIONS_TOKEN: STATEFUL_DASHBOARD_MODULE_OPTIONS,
  OPTIONS_TYPE: STATEFUL_DASHBOARD_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: STATEFUL_DASHBOARD_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StatefulDashboardOptions>({ moduleName: 'StatefulDashboard' })
  .setClassMethodName('register')
  .setFactoryMethodName('createStatefulDashboardOptions')
  .build();
