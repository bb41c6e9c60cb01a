import { Injectable } from '@nestjs/common';
import { StatefulError } from '../../core/errors/stateful.error';
import { ErrorCode } from '../../core/errors/error-code';
import type { PodReport } from '../../routing/interfaces/pod-report.interface';
import { DashboardSources } from '../dashboard-sources';
import type { DashboardView, ViewBlock, ViewCell } from './dashboard-view.interface';
import { serviceHref } from './routing.view';
import { ServiceDirectory } from './service-directory';
import { formatDuration } from './view-format';

const USERS_REFRESH_MS = 2_000;

/** The user lookup page's query. */
export interface UserLookupQuery {
  namespace?: string;
  uid?: string;
}

/** User lookup: a uid's live links, per service, persistent or with the time left, and the state of each pod. */
@Injectable()
export class UserLookupView {
  constructor(
    private readonly sources: DashboardSources,
    private readonly directory: ServiceDirectory,
  ) {}

  async build(query: UserLookupQuery): Promise<DashboardView> {
    const namespaces = await this.directory.namespaces();
    const namespace = query.namespace ?? namespaces[0] ?? '';
    const uid = query.uid ?? '';
    const blocks: ViewBlock[] = [
      {
        kind: 'lookup',
        id: 'lookup',
        title: 'Find a user',
        target: 'users',
        submit: 'Look up',
        fields: [
          namespaces.length > 0
            ? { name: 'namespace', label: 'Namespace', value: namespace, options: namespaces }
            : { name: 'namespace', label: 'Namespace', value: namespace, placeholder: 'namespace' },
          { name: 'uid', label: 'User id', value: uid, placeholder: 'uid' },
        ],
      },
    ];
    if (uid !== '') blocks.push(await this.links(namespace, uid));
    return {
      heading: 'User lookup',
      subheading: 'Where a user is linked, service by service',
      refreshMs: USERS_REFRESH_MS,
      blocks,
    };
  }

  private async links(namespace: string, uid: string): Promise<ViewBlock> {
    if (!this.directory.allows(namespace)) {
      return { kind: 'notice', id: 'links', tone: 'warn', text: 'This namespace is not shown by this dashboard.' };
    }
    let links;
    try {
      links = await this.sources.routing.getUserLinks(namespace, uid);
    } catch (error) {
      if (error instanceof StatefulError && error.code === ErrorCode.INVALID_PARAMETER)
        return { kind: 'notice', id: 'links', tone: 'bad', text: error.message };
      throw error;
    }
    const pods = await Promise.all(links.map((link) => this.sources.routing.getPods(namespace, link.serviceName)));
    return {
      kind: 'table',
      id: 'links',
      title: `Links of ${uid}`,
      note: `Namespace ${namespace}`,
      columns: [{ title: 'Service' }, { title: 'Pod', numeric: true }, { title: 'Link' }, { title: 'Pod state' }],
      empty: 'No live link: this user is not on any pod.',
      rows: links.map((link, index) => ({
        cells: [
          { text: link.serviceName, mono: true, href: serviceHref(namespace, link.serviceName) },
          { text: String(link.podId), mono: true },
          link.ttlMs === null
            ? { text: 'persistent', tone: 'ok', badge: true }
            : { text: `temporary · ${formatDuration(link.ttlMs)} left`, tone: 'warn', badge: true },
          podStateCell(pods[index].find((pod) => pod.podId === link.podId)),
        ],
      })),
    };
  }
}

function podStateCell(pod: PodReport | undefined): ViewCell {
  if (pod === undefined) return { text: 'unknown pod', tone: 'bad' };
  const state = pod.state ?? 'no state';
  return pod.live ? { text: state } : { text: `${state} · silent`, tone: 'bad' };
}
