/** The options once validated (`ResolvedStatefulDashboardOptions`). */
export const DASHBOARD_RESOLVED_OPTIONS = Symbol('DASHBOARD_RESOLVED_OPTIONS');

/** The Nest logger context of the dashboard: startup warnings and every action. */
export const DASHBOARD_LOGGER_CONTEXT = 'StatefulDashboard';

/** How the dashboard names itself in option errors. */
export const DASHBOARD_OWNER = 'StatefulDashboardModule';
