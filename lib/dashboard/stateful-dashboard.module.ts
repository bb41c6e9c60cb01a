import {
  Controller,
  DynamicModule,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  Provider,
  RequestMethod,
  SetMetadata,
  Type,
} from '@nestjs/common';
import { DashboardActions } from './actions/dashboard-actions';
import { DashboardController } from './dashboard.controller';
import { DASHBOARD_RESOLVED_OPTIONS } from './dashboard.constants';
import { DashboardSources } from './dashboard-sources';
import type {
  ResolvedStatefulDashboardOptions,
  StatefulDashboardModuleAsyncOptions,
  StatefulDashboardOptions,
} from './interfaces/stateful-dashboard-options.interface';
import { resolveDashboardOptions } from './options/resolve-dashboard-options';
import { RunDetailsRedactor } from './redaction/run-details-redactor';
import { CsrfTokens } from './security/csrf-tokens';
import { dashboardSecurityHeaders } from './security/security-headers.middleware';
import {
  STATEFUL_DASHBOARD_MODULE_OPTIONS,
  STATEFUL_DASHBOARD_OPTIONS_TYPE,
  StatefulDashboardConfigurableModule,
} from './stateful-dashboard.module-definition';
import { RoutingView } from './views/routing.view';
import { SchedulerView } from './views/scheduler.view';
import { ServiceDirectory } from './views/service-directory';
import { TaskView } from './views/task.view';
import { UserLookupView } from './views/user-lookup.view';

/** `@ApiExcludeController()` of @nestjs/swagger, without depending on it: the dashboard is no part of an app's API. */
const SWAGGER_EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';

/**
 * `StatefulDashboardModule.register({ path, namespaces?, readOnly?, guard? })` / `.registerAsync({ imports,
 * inject, useFactory | useClass | useExisting })`: an operator dashboard served by the app's own HTTP adapter
 * (Express or Fastify) at `path`: routing (services, pods, liveness), user lookup, scheduler (tasks, runs,
 * fire lag), refreshed live. Read-only unless `readOnly: false` with a `guard` and `allowedHosts`. Import it beside
 * `StatefulRedisModule` (and `DistributedScheduleModule` for the scheduler pages).
 */
@Module({})
export class StatefulDashboardModule extends StatefulDashboardConfigurableModule implements NestModule {
  constructor(@Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions) {
    super();
  }

  /** Every answer under the dashboard's path carries its security headers, whichever layer writes it. */
  configure(consumer: MiddlewareConsumer): void {
    const path = this.options.path;
    consumer
      .apply(dashboardSecurityHeaders)
      .forRoutes({ path, method: RequestMethod.ALL }, { path: `${path}/*rest`, method: RequestMethod.ALL });
  }

  static override register(options: typeof STATEFUL_DASHBOARD_OPTIONS_TYPE): DynamicModule {
    return withDashboard(super.register(options));
  }

  static override registerAsync(options: StatefulDashboardModuleAsyncOptions): DynamicModule {
    return withDashboard(super.registerAsync(options));
  }
}

/**
 * Adds the routes and services to a registration. Routes are mapped when the app initialises, after every
 * provider was built: the options provider (sync or async alike) gives a controller class of this
 * registration its path then, so two dashboards at two paths can live in one app.
 */
function withDashboard(definition: DynamicModule): DynamicModule {
  const controller: Type = class StatefulDashboardController extends DashboardController {};
  SetMetadata(SWAGGER_EXCLUDE_CONTROLLER, [true])(controller);
  const resolvedOptions: Provider = {
    provide: DASHBOARD_RESOLVED_OPTIONS,
    useFactory: (options: StatefulDashboardOptions) => {
      const resolved = resolveDashboardOptions(options);
      Controller(resolved.path)(controller);
      return resolved;
    },
    inject: [STATEFUL_DASHBOARD_MODULE_OPTIONS],
  };
  // DashboardAccessGuard is no provider here: `@UseGuards` makes Nest build it (once) with this module's injector.
  return {
    ...definition,
    controllers: [controller],
    exports: [STATEFUL_DASHBOARD_MODULE_OPTIONS],
    providers: [
      ...(definition.providers ?? []),
      resolvedOptions,
      DashboardSources,
      CsrfTokens,
      ServiceDirectory,
      DashboardActions,
      RoutingView,
      UserLookupView,
      SchedulerView,
      RunDetailsRedactor,
      TaskView,
    ],
  };
}
