import { resolveModuleOptions } from '../../core/options/resolve-module-options';
import { DASHBOARD_OWNER } from '../dashboard.constants';
import type {
  ResolvedStatefulDashboardOptions,
  StatefulDashboardOptions,
} from '../interfaces/stateful-dashboard-options.interface';
import { StatefulDashboardOptionsSchema } from './stateful-dashboard-options.schema';

/** Validates the options and applies the defaults; a bad option stops the app naming it. */
export function resolveDashboardOptions(
  options: StatefulDashboardOptions | undefined,
): ResolvedStatefulDashboardOptions {
  const { path, namespaces, readOnly, guard, allowedHosts, redact } = resolveModuleOptions(DASHBOARD_OWNER, options, {
    schema: StatefulDashboardOptionsSchema,
  });
  return {
    path: path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path,
    namespaces: namespaces ? [...new Set(namespaces)] : null,
    readOnly,
    guard: guard ?? null,
    allowedHosts: allowedHosts ? [...new Set(allowedHosts.map((host) => host.trim().toLowerCase()))] : null,
    redact: redact ?? null,
  };
}
