import type { Logger } from '@nestjs/common';
import { invalidParameter } from '../../core/errors/invalid-parameter';
import type { FindServicesOptions } from '../interfaces/find-services-options.interface';
import type { ServiceRef } from '../interfaces/service-ref.interface';
import type { RemovePodLinksOptions } from '../interfaces/sweep-options.interface';
import { type PodLinkWalkDependencies, walkPodLinks } from '../sweep/pod-link-walk';
import type { SilentPodSweep } from '../sweep/silent-pod-sweep';
import {
  assertLimit,
  assertLingerTtl,
  assertNamespace,
  assertOptionsObject,
  assertPodRef,
  assertServiceName,
} from '../validation/argument-validator';
import { scanEveryMaster } from './master-scan';

/** Default and largest `limit` of findServices. */
const DEFAULT_FIND_SERVICES_LIMIT = 1_000;
const MAX_FIND_SERVICES_LIMIT = 100_000;
/** Pod-state keys with names no method accepts, each warned about once, up to this many. */
const UNREADABLE_SERVICES_KEPT = 1_000;

/**
 * The calls of `StatefulExecutorService` that walk the whole keyspace of every master (see each method there):
 * removing a pod's links, and listing the services.
 */
export class KeyspaceScans {
  /** Pod-state keys found with names no method accepts, warned about once each (bounded). */
  private readonly unreadableServices = new Set<string>();

  constructor(
    private readonly walk: PodLinkWalkDependencies,
    private readonly sweep: SilentPodSweep,
    private readonly logger: Logger,
  ) {}

  /** The links of one pod: its arguments as the caller gave them, checked here. */
  async removePodLinks(
    pod: { namespace: string; serviceName: string; podId: number },
    options?: RemovePodLinksOptions,
  ): Promise<number> {
    const { namespace, serviceName, podId } = pod;
    const operation = 'removePodLinks';
    assertPodRef(operation, namespace, serviceName, podId);
    const { lingerSeconds = 0, onProgress, mark } = assertOptionsObject<RemovePodLinksOptions>(operation, options);
    assertLingerTtl(operation, lingerSeconds, 'options.lingerSeconds');
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalidParameter(operation, 'options.onProgress', 'must be a function', onProgress);
    const marks = mark === undefined ? undefined : this.sweep.assertMarks(operation, [mark], 'options.mark');
    if (mark !== undefined && (mark.serviceName !== serviceName || mark.podId !== podId))
      throw invalidParameter(operation, 'options.mark', 'must be the mark of that pod of that service', mark);
    const { removed } = await walkPodLinks(this.walk, {
      operation,
      inputs: { namespace, serviceName, podId, lingerSeconds },
      namespace,
      pods: new Map([[serviceName, new Map([[podId, true as const]])]]),
      lingerSeconds,
      onProgress,
      guard: marks && ((batch) => this.sweep.stepMarkedPods(namespace, 'batch', batch, marks)),
    });
    return removed.get(serviceName)?.get(podId) ?? 0;
  }

  async findServices(namespace?: string, options?: FindServicesOptions): Promise<ServiceRef[]> {
    const operation = 'findServices';
    if (namespace !== undefined) assertNamespace(operation, namespace);
    const { limit = DEFAULT_FIND_SERVICES_LIMIT, after } = assertOptionsObject<FindServicesOptions>(operation, options);
    assertLimit(operation, 'options.limit', limit, MAX_FIND_SERVICES_LIMIT);
    if (after !== undefined) {
      if (typeof after !== 'object' || after === null)
        throw invalidParameter(operation, 'options.after', 'must be a service { namespace, serviceName }', after);
      assertNamespace(operation, after.namespace, 'options.after.namespace');
      assertServiceName(operation, after.serviceName, 'options.after.serviceName');
    }
    const { client, patterns, send } = this.walk;
    const found = new Map<string, ServiceRef>();
    // Bounded memory however many services there are: the first `limit` so far are kept.
    const trim = () => {
      const kept = [...found.entries()].sort(([, a], [, b]) => compareServices(a, b)).slice(0, limit);
      found.clear();
      for (const [id, ref] of kept) found.set(id, ref);
    };
    await scanEveryMaster(client, patterns.podEntries(namespace), operation, async (scan) => {
      const keys = await send(operation, { namespace, limit }, scan);
      for (const key of keys) {
        const ref = patterns.serviceOfPodEntries(key);
        if (ref === undefined || (namespace !== undefined && ref.namespace !== namespace)) continue;
        if (after !== undefined && compareServices(ref, after) <= 0) continue;
        // Written by another client with a name this library refuses: no method could read it, so it is not listed.
        if (!isAcceptedServiceRef(ref)) this.reportUnreadableService(key);
        else found.set(`${ref.namespace}:${ref.serviceName}`, ref);
      }
      if (found.size > 2 * limit) trim();
    });
    trim();
    return [...found.values()];
  }

  private reportUnreadableService(key: string): void {
    if (this.unreadableServices.has(key) || this.unreadableServices.size >= UNREADABLE_SERVICES_KEPT) return;
    this.unreadableServices.add(key);
    this.logger.warn(
      `findServices: ${JSON.stringify(key)} has a namespace or service name this library refuses (written by ` +
        'another client); left out of the list',
    );
  }
}

/** (namespace, serviceName) order. */
function compareServices(a: ServiceRef, b: ServiceRef): number {
  return compareText(a.namespace, b.namespace) || compareText(a.serviceName, b.serviceName);
}

/** Code-unit order, the same in every locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether the names of a found service pass the validation of every method (so that each can read it). */
function isAcceptedServiceRef(ref: ServiceRef): boolean {
  try {
    assertNamespace('findServices', ref.namespace);
    assertServiceName('findServices', ref.serviceName);
    return true;
  } catch {
    return false;
  }
}
