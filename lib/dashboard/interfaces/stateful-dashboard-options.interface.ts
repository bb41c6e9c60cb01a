import type { CanActivate, ConfigurableModuleAsyncOptions, Type } from '@nestjs/common';

/** What every registration of the dashboard may set. */
interface StatefulDashboardOptionsBase {
  /** Where the dashboard is served, e.g. `/ops/dashboard` (under the app's global prefix, if any). */
  path: string;
  /** The routing namespaces shown and acted on; default: every namespace found by SCAN. */
  namespaces?: string[];
  /**
   * Runs before every dashboard route (pages, assets, JSON, actions): an instance, or a class the module's
   * injector builds.
   */
  guard?: CanActivate | Type<CanActivate>;
  /**
   * The host names (each optionally with `:port`) the dashboard answers to, e.g. `['ops.example.com',
   * 'localhost:3000']`: any other `Host` (or `X-Forwarded-Host`) gets 421. Against DNS rebinding: required with
   * `readOnly: false`, and needed whenever the guard trusts where a request comes from (loopback, a private
   * network) rather than who sends it.
   */
  allowedHosts?: string[];
  /**
   * The app's own rules for what must not be shown, run on each text the dashboard shows of a task (its payload
   * as JSON, a run's error) after the library's, e.g. `(text) => text.replace(/\b\d{3}-\d{2}-\d{4}\b/g, '[ssn]')`.
   * Those texts show only behind a `guard`.
   */
  redact?: (text: string) => string;
}

/** A dashboard that shows and changes nothing (the default). */
export interface ReadOnlyDashboardOptions extends StatefulDashboardOptionsBase {
  /** Default `true`: nothing can be changed. */
  readOnly?: true;
}

/** A dashboard with its actions: only behind a `guard`, answering only to `allowedHosts`. */
export interface ActionsDashboardOptions extends StatefulDashboardOptionsBase {
  /** `false` enables the actions (enable, disable, trigger a task, ...). */
  readOnly: false;
  guard: CanActivate | Type<CanActivate>;
  allowedHosts: string[];
}

/**
 * The options of `StatefulDashboardModule.register`: read-only, or with actions, which need a `guard` and
 * `allowedHosts` (refused by the type here, and at startup for options built at run time).
 */
export type StatefulDashboardOptions = ReadOnlyDashboardOptions | ActionsDashboardOptions;

/** A class that makes the options, for `registerAsync({ useClass })` or `registerAsync({ useExisting })`. */
export interface StatefulDashboardOptionsFactory {
  createStatefulDashboardOptions(): StatefulDashboardOptions | Promise<StatefulDashboardOptions>;
}

/** The options of `StatefulDashboardModule.registerAsync`. */
export interface StatefulDashboardModuleAsyncOptions extends ConfigurableModuleAsyncOptions<
  StatefulDashboardOptions,
  'createStatefulDashboardOptions'
> {
  /** A class implementing `StatefulDashboardOptionsFactory`, instantiated by the module. */
  useClass?: Type<StatefulDashboardOptionsFactory>;
  /** A provider implementing `StatefulDashboardOptionsFactory`, e.g. exported by one of `imports`. */
  useExisting?: Type<StatefulDashboardOptionsFactory>;
}

/** The options once validated, defaults applied. */
export interface ResolvedStatefulDashboardOptions {
  /** Leading slash, no trailing slash. */
  path: string;
  /** `null`: every namespace found. */
  namespaces: string[] | null;
  readOnly: boolean;
  guard: CanActivate | Type<CanActivate> | null;
  /** Lower case; `null`: any host. */
  allowedHosts: string[] | null;
  /** `null`: the library's rules only. */
  redact: ((text: string) => string) | null;
}
