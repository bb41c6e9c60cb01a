import { Inject, Injectable } from '@nestjs/common';
import type { PodReport } from '../../routing/interfaces/pod-report.interface';
import type { ServiceRef } from '../../routing/interfaces/service-ref.interface';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import type { DashboardView, Tone, ViewAction, ViewBlock, ViewCell, ViewRow } from './dashboard-view.interface';
import { assertNamespace, assertServiceName } from '../../routing/validation/argument-validator';
import { RefreshingValue } from './refreshing-value';
import { ServiceDirectory } from './service-directory';
import { momentCell } from './view-format';

/** Services whose pods are counted in the overview, one round trip each. */
const OVERVIEW_POD_LIMIT = 100;

/** Round trips in flight at once for the overview. */
const OVERVIEW_CONCURRENCY = 8;

/**
 * How long pod counts are reused, from the end of their count: every open page refreshes every few seconds,
 * and counts at most `OVERVIEW_POD_LIMIT` round trips (one count at a time per app instance, shared by them all).
 */
const OVERVIEW_MAX_AGE_MS = 2_000;

/** States offered in the state picker besides the routable ones and the pod's own. */
const COMMON_STATES = ['running', 'draining', 'stopped'];

const ROUTING_REFRESH_MS = 3_000;

/** The pods of a service, or why they cannot be read (a name this library refuses, written by another client). */
type ServiceSummary = { pods: PodReport[] } | { error: string };

/** The services list with the pods and workload state of the first `OVERVIEW_POD_LIMIT`, as counted last. */
interface Overview {
  services: ServiceRef[];
  truncated: boolean;
  summaries: Map<string, ServiceSummary>;
  workloads: Map<string, string>;
}

/** The routing page's query: the service whose pods are detailed. */
export interface RoutingQuery {
  namespace?: string;
  service?: string;
}

/** A link to this page for one service. */
export function serviceHref(namespace: string, serviceName: string): string {
  return `routing?${new URLSearchParams({ namespace, service: serviceName })}`;
}

function stateTone(state: string | null, routable: string[]): Tone {
  if (state === null) return 'muted';
  if (routable.includes(state)) return 'ok';
  return state === 'draining' ? 'warn' : 'muted';
}

async function mapLimited<T, R>(items: T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Routing: the services found and, for the selected one, its pods with state, weight, last report and liveness. */
@Injectable()
export class RoutingView {
  private readonly overview: RefreshingValue<Overview>;

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
    private readonly directory: ServiceDirectory,
  ) {
    this.overview = new RefreshingValue(() => this.count(), { maxAgeMs: OVERVIEW_MAX_AGE_MS, serveStale: false });
  }

  async build(query: RoutingQuery): Promise<DashboardView> {
    const [overview, redisNow] = await Promise.all([this.overview.get(), this.sources.redisTime()]);
    const selected = this.selected(query, overview.services);
    const blocks: ViewBlock[] = [];
    if (query.namespace !== undefined && !this.directory.allows(query.namespace)) {
      blocks.push({
        kind: 'notice',
        id: 'namespace-not-shown',
        tone: 'warn',
        text: 'This namespace is not shown by this dashboard.',
      });
    }
    blocks.push(this.servicesTable(overview, selected));
    if (selected !== undefined) blocks.push(await this.selectedPods(selected, overview, redisNow));
    return {
      heading: 'Routing',
      subheading: 'Services with pod states, and the pods of the selected one',
      refreshMs: ROUTING_REFRESH_MS,
      blocks,
    };
  }

  /** The service asked for (if shown by this dashboard), else the first one found whose pods can be read. */
  private selected(query: RoutingQuery, services: ServiceRef[]): ServiceRef | undefined {
    if (query.namespace !== undefined && query.service !== undefined) {
      return this.directory.allows(query.namespace)
        ? { namespace: query.namespace, serviceName: query.service }
        : undefined;
    }
    return services.find((service) => nameError(service) === null);
  }

  /** The selected service's pods, read afresh (the overview's counts may be a refresh old). */
  private async selectedPods(selected: ServiceRef, overview: Overview, redisNow: number): Promise<ViewBlock> {
    const error = nameError(selected);
    if (error !== null) return { kind: 'notice', id: 'pods', tone: 'bad', text: error };
    const routing = this.sources.routing;
    const counted = overview.summaries.has(key(selected));
    const [pods, workload] = await Promise.all([
      routing.getPods(selected.namespace, selected.serviceName),
      counted
        ? overview.workloads.get(key(selected))
        : routing
            .getWorkloadState(selected.namespace, [selected.serviceName])
            .then((states) => states[selected.serviceName]),
    ]);
    return this.podsTable(selected, pods, workload, redisNow);
  }

  /** Pods and workload states of the first services; services whose names cannot be read are marked, not sent. */
  private async count(): Promise<Overview> {
    const { services, truncated } = await this.directory.list();
    const counted = services.slice(0, OVERVIEW_POD_LIMIT);
    const readable = counted.filter((service) => nameError(service) === null);
    const [pods, workloads] = await Promise.all([
      mapLimited(readable, OVERVIEW_CONCURRENCY, (service) =>
        this.sources.routing.getPods(service.namespace, service.serviceName),
      ),
      this.workloads(readable),
    ]);
    const summaries = new Map<string, ServiceSummary>();
    for (const service of counted) {
      const error = nameError(service);
      summaries.set(key(service), error === null ? { pods: pods[readable.indexOf(service)] } : { error });
    }
    return { services, truncated, summaries, workloads };
  }

  /** Workload states of the services, one round trip per namespace. */
  private async workloads(services: ServiceRef[]): Promise<Map<string, string>> {
    const byNamespace = new Map<string, string[]>();
    for (const service of services) {
      byNamespace.set(service.namespace, [...(byNamespace.get(service.namespace) ?? []), service.serviceName]);
    }
    const states = new Map<string, string>();
    await Promise.all(
      [...byNamespace].map(async ([namespace, names]) => {
        const found = await this.sources.routing.getWorkloadState(namespace, names);
        for (const [serviceName, state] of Object.entries(found)) states.set(key({ namespace, serviceName }), state);
      }),
    );
    return states;
  }

  private servicesTable(overview: Overview, selected: ServiceRef | undefined): ViewBlock {
    const { services, truncated, summaries, workloads } = overview;
    const routable = this.sources.core.options.routableStates;
    const notes = [`Found by SCAN, at most every 30 s${truncated ? `; the first ${services.length} shown` : ''}.`];
    notes.push(
      services.length > OVERVIEW_POD_LIMIT
        ? `Pods counted for the first ${OVERVIEW_POD_LIMIT}, at most every 2 s.`
        : 'Pods counted at most every 2 s.',
    );
    const none: ViewCell = { text: '—', tone: 'muted' };
    return {
      kind: 'table',
      id: 'services',
      title: 'Services',
      note: notes.join(' '),
      columns: [
        { title: 'Namespace' },
        { title: 'Service' },
        { title: 'Workload' },
        { title: 'Pods', numeric: true },
        { title: 'Routable', numeric: true },
        { title: 'Not live', numeric: true },
        { title: 'States' },
      ],
      empty: 'No service has reported a pod state yet.',
      rows: services.map((service): ViewRow => {
        const summary = summaries.get(key(service));
        const isSelected = selected !== undefined && sameService(service, selected);
        if (summary !== undefined && 'error' in summary) {
          return {
            selected: isSelected,
            cells: [
              { text: service.namespace, mono: true },
              { text: service.serviceName, mono: true },
              none,
              { text: 'unreadable name', tone: 'bad', badge: true, title: summary.error },
              none,
              none,
              none,
            ],
          };
        }
        const servicePods = summary?.pods;
        const workload = workloads.get(key(service));
        const routableCount = servicePods?.filter((pod) => pod.live && routable.includes(pod.state ?? '')).length;
        const deadCount = servicePods?.filter((pod) => !pod.live).length;
        return {
          selected: isSelected,
          cells: [
            { text: service.namespace, mono: true },
            { text: service.serviceName, mono: true, href: serviceHref(service.namespace, service.serviceName) },
            workload === undefined ? none : { text: workload },
            servicePods === undefined ? none : { text: String(servicePods.length) },
            routableCount === undefined
              ? none
              : { text: String(routableCount), tone: routableCount === 0 ? 'bad' : 'ok' },
            deadCount === undefined ? none : { text: String(deadCount), tone: deadCount === 0 ? 'muted' : 'bad' },
            servicePods === undefined ? none : { text: stateSummary(servicePods) },
          ],
        };
      }),
    };
  }

  /** The pods of a service; their last report relative to `redisNow`, the clock the reports and liveness use. */
  private podsTable(service: ServiceRef, pods: PodReport[], workload: string | undefined, redisNow: number): ViewBlock {
    const routable = this.sources.core.options.routableStates;
    const actions = !this.options.readOnly;
    return {
      kind: 'table',
      id: 'pods',
      title: `Pods of ${service.serviceName}`,
      note:
        `Namespace ${service.namespace} · workload ${workload ?? 'not set'} · ` +
        `routable states: ${routable.join(', ')}`,
      columns: [
        { title: 'Pod', numeric: true },
        { title: 'State' },
        { title: 'Weight', numeric: true },
        { title: 'Last report' },
        { title: 'Live' },
      ],
      empty: 'No pod of this service has reported.',
      rows: pods.map((pod) => ({
        cells: [
          { text: String(pod.podId), mono: true },
          pod.state === null
            ? { text: 'no state', tone: 'muted', badge: true }
            : { text: pod.state, tone: stateTone(pod.state, routable), badge: true },
          pod.weight === null ? { text: '—', tone: 'muted' } : { text: String(pod.weight) },
          lastReportCell(pod, redisNow),
          pod.live ? { text: 'live', tone: 'ok', badge: true } : { text: 'silent', tone: 'bad', badge: true },
        ],
        actions: actions ? this.podActions(service, pod, routable) : undefined,
      })),
    };
  }

  private podActions(service: ServiceRef, pod: PodReport, routable: string[]): ViewAction[] {
    const args = { namespace: service.namespace, serviceName: service.serviceName, podId: pod.podId };
    const states = [...new Set([...routable, ...COMMON_STATES, ...(pod.state === null ? [] : [pod.state])])];
    return [
      {
        action: 'set-pod-state',
        label: 'Set state',
        args,
        choice: { name: 'state', options: states, value: pod.state === 'draining' ? 'running' : 'draining' },
      },
      { action: 'sweep-pod-links', label: 'Sweep links', args, confirm: 'Remove every link to this pod?' },
    ];
  }
}

function lastReportCell(pod: PodReport, redisNow: number): ViewCell {
  if (pod.lastSeenAt === null) return { text: 'never (no liveness reports)', tone: 'muted' };
  return momentCell(pod.lastSeenAt, redisNow);
}

/** Why the library would refuse to read this service (a name written into Redis by another client), or `null`. */
function nameError(service: ServiceRef): string | null {
  try {
    assertNamespace('getPods', service.namespace);
    assertServiceName('getPods', service.serviceName);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function stateSummary(pods: PodReport[]): string {
  const counts = new Map<string, number>();
  for (const pod of pods) counts.set(pod.state ?? 'no state', (counts.get(pod.state ?? 'no state') ?? 0) + 1);
  return [...counts].map(([state, count]) => `${count} ${state}`).join(' · ') || '—';
}

function key(service: ServiceRef): string {
  return JSON.stringify([service.namespace, service.serviceName]);
}

function sameService(a: ServiceRef, b: ServiceRef): boolean {
  return a.namespace === b.namespace && a.serviceName === b.serviceName;
}
