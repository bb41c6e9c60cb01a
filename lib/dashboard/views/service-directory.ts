import { Inject, Injectable, Logger } from '@nestjs/common';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { ServiceRef } from '../../routing/interfaces/service-ref.interface';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_LOGGER_CONTEXT, DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import { RefreshingValue } from './refreshing-value';

/** Most services listed; more are left out, and the page says so. */
const SERVICE_LIST_LIMIT = 500;

/**
 * How long a list found by SCAN is reused, from the end of the SCAN: pages refresh every few seconds, a SCAN
 * walks the whole keyspace.
 */
export const SERVICE_LIST_TTL_MS = 30_000;

export interface ServiceList {
  services: ServiceRef[];
  /** More services exist than listed. */
  truncated: boolean;
}

/**
 * The services the dashboard shows: `findServices` (a SCAN of every master, bounded by `SERVICE_LIST_LIMIT`)
 * in the configured namespaces or in all. One SCAN at a time per app instance however many pages poll, and
 * none until `SERVICE_LIST_TTL_MS` after the last one ended; past that the previous list is served while the
 * next SCAN runs (only the first list is waited for).
 */
@Injectable()
export class ServiceDirectory {
  private readonly logger = new Logger(DASHBOARD_LOGGER_CONTEXT);
  private readonly found: RefreshingValue<ServiceList>;

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
  ) {
    this.found = new RefreshingValue(() => this.scan(), {
      maxAgeMs: SERVICE_LIST_TTL_MS,
      serveStale: true,
      clock: () => this.now(),
      onBackgroundError: (error) =>
        this.logger.warn(`Listing the services failed; the previous list is shown: ${scrubText(String(error))}`),
    });
  }

  /** Whether the dashboard shows (and acts on) this namespace. */
  allows(namespace: string): boolean {
    return this.options.namespaces === null || this.options.namespaces.includes(namespace);
  }

  /** The services found, sorted by namespace then name. */
  list(): Promise<ServiceList> {
    return this.found.get();
  }

  /** The namespaces to choose from: the configured ones, else those that have services. */
  async namespaces(): Promise<string[]> {
    if (this.options.namespaces !== null) return this.options.namespaces;
    return [...new Set((await this.list()).services.map((service) => service.namespace))];
  }

  /** Milliseconds now (a test's subclass drives time here). */
  protected now(): number {
    return Date.now();
  }

  private async scan(): Promise<ServiceList> {
    const routing = this.sources.routing;
    const limit = SERVICE_LIST_LIMIT + 1;
    const found =
      this.options.namespaces === null
        ? await routing.findServices(undefined, { limit })
        : (
            await Promise.all(this.options.namespaces.map((namespace) => routing.findServices(namespace, { limit })))
          ).flat();
    return { services: found.slice(0, SERVICE_LIST_LIMIT), truncated: found.length > SERVICE_LIST_LIMIT };
  }
}
