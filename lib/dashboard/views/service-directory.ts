import { Inject, Injectable } from '@nestjs/common';
import type { ServiceRef } from '../../routing/interfaces/service-ref.interface';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';

/** Most services listed; more are left out, and the page says so. */
const SERVICE_LIST_LIMIT = 500;

/** How long a list found by SCAN is reused: pages refresh every few seconds, a SCAN walks the whole keyspace. */
const SERVICE_LIST_TTL_MS = 30_000;

export interface ServiceList {
  services: ServiceRef[];
  /** More services exist than listed. */
  truncated: boolean;
}

/**
 * The services the dashboard shows: `findServices` (a SCAN of every master, bounded by `SERVICE_LIST_LIMIT`)
 * in the configured namespaces or in all, at most once per `SERVICE_LIST_TTL_MS` however many pages poll.
 */
@Injectable()
export class ServiceDirectory {
  private cached?: { list: Promise<ServiceList>; at: number };

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
  ) {}

  /** Whether the dashboard shows (and acts on) this namespace. */
  allows(namespace: string): boolean {
    return this.options.namespaces === null || this.options.namespaces.includes(namespace);
  }

  /** The services found, sorted by namespace then name. */
  list(now = Date.now()): Promise<ServiceList> {
    if (this.cached === undefined || now - this.cached.at > SERVICE_LIST_TTL_MS) {
      const list = this.scan();
      this.cached = { list, at: now };
      // A failed scan is not kept: the next page asks again.
      list.catch(() => {
        if (this.cached?.list === list) this.cached = undefined;
      });
    }
    return this.cached.list;
  }

  /** The namespaces to choose from: the configured ones, else those that have services. */
  async namespaces(): Promise<string[]> {
    if (this.options.namespaces !== null) return this.options.namespaces;
    return [...new Set((await this.list()).services.map((service) => service.namespace))];
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
