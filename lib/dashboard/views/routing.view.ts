import { Inject, Injectable } from '@nestjs/common';
import type { PodReport } from '../../routing/interfaces/pod-report.interface';
import type { ServiceRef } from '../../routing/interfaces/service-ref.interface';
import { DashboardSources } from '../dashboard-sources';
import { DASHBOARD_RESOLVED_OPTIONS } from '../dashboard.constants';
import type { ResolvedStatefulDashboardOptions } from '../interfaces/stateful-dashboard-options.interface';
import type { DashboardView, Tone, ViewAction, ViewBlock, ViewCell, ViewRow } from './dashboard-view.interface';
import { ServiceDirectory } from './service-directory';
import { momentCell } from './view-format';

/** Services whose pods are summarised in the overview (one round trip each, on every refresh). */
const OVERVIEW_POD_LIMIT = 100;

/** Round trips in flight at once for the overview. */
const OVERVIEW_CONCURRENCY = 8;

/** States offered in the state picker besides the routable ones and the pod's own. */
const COMMON_STATES = ['running', 'draining', 'stopped'];

const ROUTING_REFRESH_MS = 3_000;

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
  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulDashboardOptions,
    private readonly sources: DashboardSources,
    private readonly directory: ServiceDirectory,
  ) {}

  async build(query: RoutingQuery, now = Date.now()): Promise<DashboardView> {
    const { services, truncated } = await this.directory.list(now);
    const selected = this.selected(query, services);
    const summarised = services.slice(0, OVERVIEW_POD_LIMIT);
    const [pods, workloads] = await Promise.all([
      mapLimited(summarised, OVERVIEW_CONCURRENCY, (service) =>
        this.sources.routing.getPods(service.namespace, service.serviceName),
      ),
      this.workloads(summarised),
    ]);
    const blocks: ViewBlock[] = [];
    if (query.namespace !== undefined && !this.directory.allows(query.namespace)) {
      blocks.push({
        kind: 'notice',
        id: 'namespace-not-shown',
        tone: 'warn',
        text: 'This namespace is not shown by this dashboard.',
      });
    }
    blocks.push(this.servicesTable(services, pods, workloads, selected, truncated));
    if (selected !== undefined) {
      const index = summarised.findIndex((service) => sameService(service, selected));
      const selectedPods =
        index >= 0 ? pods[index] : await this.sources.routing.getPods(selected.namespace, selected.serviceName);
      const workload =
        index >= 0
          ? workloads.get(key(selected))
          : (await this.sources.routing.getWorkloadState(selected.namespace, [selected.serviceName]))[
              selected.serviceName
            ];
      blocks.push(this.podsTable(selected, selectedPods, workload, now));
    }
    return {
      heading: 'Routing',
      subheading: 'Services with pod states, and the pods of the selected one',
      refreshMs: ROUTING_REFRESH_MS,
      blocks,
    };
  }

  /** The service asked for (if shown by this dashboard), else the first one found. */
  private selected(query: RoutingQuery, services: ServiceRef[]): ServiceRef | undefined {
    if (query.namespace !== undefined && query.service !== undefined) {
      return this.directory.allows(query.namespace)
        ? { namespace: query.namespace, serviceName: query.service }
        : undefined;
    }
    return services[0];
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

  private servicesTable(
    services: ServiceRef[],
    pods: PodReport[][],
    workloads: Map<string, string>,
    selected: ServiceRef | undefined,
    truncated: boolean,
  ): ViewBlock {
    const routable = this.sources.core.redisOptions.routableStates;
    const notes = [`Found by SCAN, at most every 30 s${truncated ? `; the first ${services.length} shown` : ''}.`];
    if (services.length > OVERVIEW_POD_LIMIT) notes.push(`Pods counted for the first ${OVERVIEW_POD_LIMIT}.`);
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
      rows: services.map((service, index): ViewRow => {
        const servicePods = pods[index];
        const workload = workloads.get(key(service));
        const counted = servicePods !== undefined;
        const routableCount = servicePods?.filter((pod) => pod.live && routable.includes(pod.state ?? '')).length;
        const deadCount = servicePods?.filter((pod) => !pod.live).length;
        return {
          selected: selected !== undefined && sameService(service, selected),
          cells: [
            { text: service.namespace, mono: true },
            { text: service.serviceName, mono: true, href: serviceHref(service.namespace, service.serviceName) },
            workload === undefined ? { text: '—', tone: 'muted' } : { text: workload },
            counted ? { text: String(servicePods.length) } : { text: '—', tone: 'muted' },
            counted
              ? { text: String(routableCount), tone: routableCount === 0 ? 'bad' : 'ok' }
              : { text: '—', tone: 'muted' },
            counted
              ? { text: String(deadCount), tone: deadCount === 0 ? 'muted' : 'bad' }
              : { text: '—', tone: 'muted' },
            counted ? { text: stateSummary(servicePods) } : { text: '—', tone: 'muted' },
          ],
        };
      }),
    };
  }

  private podsTable(service: ServiceRef, pods: PodReport[], workload: string | undefined, now: number): ViewBlock {
    const routable = this.sources.core.redisOptions.routableStates;
    const actions = !this.options.readOnly;
    return {
      kind: 'table',
      id: 'pods',
      title: `Pods of ${service.serviceName}`,
      note: `Namespace ${service.namespace} · workload ${workload ?? 'not set'} · routable states: ${routable.join(', ')}`,
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
          lastReportCell(pod, now),
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

function lastReportCell(pod: PodReport, now: number): ViewCell {
  if (pod.lastSeenAt === null) return { text: 'never (no liveness reports)', tone: 'muted' };
  return momentCell(pod.lastSeenAt, now);
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
