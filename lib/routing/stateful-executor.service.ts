import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { readMany, readManyBuffers, readManySteps } from '../core/connection/read-many';
import { OperationMetrics } from '../core/metrics/operation-metrics';
import { RedisConnection } from '../core/connection/redis-connection';
import { scrubText } from '../core/errors/credential-scrubber';
import type { ComputeLinkedPodOptions } from './interfaces/compute-linked-pod-options.interface';
import type { FindServicesOptions } from './interfaces/find-services-options.interface';
import type { PodReport } from './interfaces/pod-report.interface';
import type { ServiceRef } from './interfaces/service-ref.interface';
import type { SetServiceStateOptions } from './interfaces/set-service-state-options.interface';
import type { MarkedPodSweep, SilentPodMark, SweptPodNotice } from './interfaces/silent-pod.interface';
import type { RemovePodLinksOptions } from './interfaces/sweep-options.interface';
import type { UserLink } from './interfaces/user-link.interface';
import type { ResolvedStatefulRedisOptions } from '../core/interfaces/stateful-redis-module-options.interface';
import type { TrySetLinkedPodResult } from './interfaces/try-set-linked-pod-result.interface';
import { KeyPatterns } from './keys/key-patterns';
import { KeySchema } from './keys/key-schema';
import { ScriptKeys } from './keys/script-keys';
import { FeatureSend, OperationPipeline } from '../core/operations/operation-pipeline';
import { NearCache } from './near-cache/near-cache';
import { parsePodReports, parseUserLinks } from './replies/lifecycle-replies';
import {
  parseSilentPodMarks,
  parseStillMarked,
  parseSweptPodNotice,
  parseSweptPodNotices,
} from './replies/sweep-replies';
import { type PodsByService, walkPodLinks } from './sweep/pod-link-walk';
import { parsePodId, parsePodIdBuffer, parsePodMap, parseServiceLinks, setEntry } from './replies/reply-parsers';
import { scanEveryMaster } from './scan/master-scan';
import { type FeatureScripts, ScriptRunner } from '../core/scripts/script-runner';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from '../core/stateful-redis.constants';
import { invalidParameter } from '../core/errors/invalid-parameter';
import { ROUTING_SCRIPTS, type RoutingScripts, type ScriptName } from './routing-script-names';
import { NO_POD, SILENT_POD_STATE } from './routing.constants';
import {
  assertAsPodReport,
  assertDistinctList,
  assertLimit,
  assertLingerTtl,
  assertList,
  assertLinkTtl,
  assertNamespace,
  assertOptionsObject,
  assertPodId,
  assertServiceName,
  assertServiceStates,
  assertSilentPodMarks,
  assertState,
  assertUid,
  assertWeight,
} from './validation/argument-validator';

/** Services per step of the batch pod-report calls: one step is one round trip per node. */
const SERVICES_PER_STEP = 1_000;
/** Default and largest `limit` of findServices. */
const DEFAULT_FIND_SERVICES_LIMIT = 1_000;
const MAX_FIND_SERVICES_LIMIT = 100_000;
/** Sweep notices this process logged, remembered so that the same notice answered again is not logged twice. */
const TOLD_NOTICES_KEPT = 1_000;

/**
 * The shared directory of a stateful service: which pod owns which user, pod states and weights.
 * Every method validates its arguments before any Redis call and rejects with a `StatefulError`.
 */
@Injectable()
export class StatefulExecutorService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('StatefulRedis');
  private readonly keys: KeySchema;
  private readonly scriptKeys: ScriptKeys;
  private readonly scripts: FeatureScripts<RoutingScripts>;
  private readonly patterns: KeyPatterns;
  /** A stored value that is not a pod id reads as none (see canonicalPodId); operators should hear of it. */
  private readonly reportCorrupt = (key: string, value: string): void =>
    this.logger.warn(
      `Corrupt entry: ${key} holds ${JSON.stringify(value)} where a pod id (decimal integer in 0..2147483647) ` +
        'was expected; read as no link, overwritten by the next write',
    );
  /** Pod-state keys found with names no method accepts, warned about once each (bounded). */
  private readonly unreadableServices = new Set<string>();
  private readonly toldNotices = new Set<string>();
  private readonly reportUnreadableService = (key: string): void => {
    if (this.unreadableServices.has(key) || this.unreadableServices.size >= 1_000) return;
    this.unreadableServices.add(key);
    this.logger.warn(
      `findServices: ${JSON.stringify(key)} has a namespace or service name this library refuses (written by ` +
        'another client); left out of the list',
    );
  };
  /** The core's pipeline, counting and logging under `feature="routing"`. */
  private readonly send: FeatureSend;
  /** Whether reads may use the near-cache: from init until shutdown. */
  private nearCacheInUse = false;

  constructor(
    @Inject(STATEFUL_REDIS_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulRedisOptions,
    private readonly connection: RedisConnection,
    scripts: ScriptRunner,
    pipeline: OperationPipeline,
    @Inject(NearCache) private readonly nearCache: NearCache | null,
    @Inject(OperationMetrics) private readonly metrics: OperationMetrics | null,
  ) {
    this.keys = new KeySchema(options.keyPrefix);
    this.patterns = new KeyPatterns(this.keys);
    this.scriptKeys = new ScriptKeys(this.keys);
    this.send = pipeline.forFeature('routing');
    // Before any init hook: the core preloads every registered script when it connects.
    this.scripts = scripts.register(ROUTING_SCRIPTS);
  }

  /** Runs after the core's init (the core module is global): the connection is open, the scripts loaded. */
  async onModuleInit(): Promise<void> {
    this.nearCacheInUse = true;
    const nearCacheStarted = this.nearCache
      ?.start()
      .catch((error: Error) => this.logger.warn(`Near-cache not started: ${scrubText(error.message)}`));
    if (!this.options.lazyConnect) await nearCacheStarted;
  }

  /** Runs before the core closes the connection. */
  async onApplicationShutdown(): Promise<void> {
    this.nearCacheInUse = false;
    await this.nearCache?.close();
  }

  /**
   * Sets the state (`running`, `draining`, ...) of one pod of a service: by default the pod's own report (its
   * liveness entry gets the Redis time); `{ asPodReport: false }` when an operator or controller writes on its
   * behalf. A report answers, once, whether a sweep declared the pod silent since its last report (else `null`).
   */
  async setServiceState(
    namespace: string,
    serviceName: string,
    podId: number,
    state: string,
    options?: SetServiceStateOptions,
  ): Promise<SweptPodNotice | null> {
    const operation = 'setServiceState';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    assertState(operation, state);
    const asPodReport = assertAsPodReport(operation, options, true);
    const reply = await this.send(operation, { namespace, serviceName, podId, state, asPodReport }, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), [
        asPodReport ? 'state' : 'stateOnly',
        podId,
        state,
      ]),
    );
    return this.noticeOf(reply, { namespace, serviceName, podId });
  }

  /** The state of every pod of a service, by pod id. */
  async getServiceState(namespace: string, serviceName: string): Promise<Record<number, string>> {
    const operation = 'getServiceState';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    const reply = await this.send(operation, { namespace, serviceName }, () =>
      this.scripts.run('statefulGetService', [this.keys.podStates(namespace, serviceName)], []),
    );
    return parsePodMap(reply, this.keys.podStates(namespace, serviceName), this.reportCorrupt);
  }

  /** Sets the workload state of a service. */
  async setWorkloadState(namespace: string, serviceName: string, state: string): Promise<void> {
    const operation = 'setWorkloadState';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertState(operation, state);
    // One SET is atomic and idempotent by itself; a script would add nothing.
    await this.send(operation, { namespace, serviceName, state }, () =>
      this.connection.client.set(this.keys.workload(namespace, serviceName), state),
    );
  }

  /** The workload states of the named services; services without one are left out. */
  async getWorkloadState(namespace: string, serviceNames: string[]): Promise<Record<string, string>> {
    const operation = 'getWorkloadState';
    assertNamespace(operation, namespace);
    const services = assertDistinctList(operation, 'serviceNames', serviceNames, assertServiceName);
    const result: Record<string, string> = {};
    if (services.length === 0) return result;
    const states = await this.send(
      operation,
      { namespace, serviceNames },
      () =>
        readMany(
          this.connection.client,
          services.map((service) => this.keys.workload(namespace, service)),
        ),
      readManySteps(services.length),
    );
    services.forEach((service, index) => {
      const state = states[index];
      if (state !== null) setEntry(result, service, state);
    });
    return result;
  }

  /** Links a uid to a pod unconditionally; returns the pod linked before, or `NO_POD`. */
  async setLinkedPod(
    namespace: string,
    uid: string,
    serviceName: string,
    podId: number,
    persistSeconds: number,
  ): Promise<number> {
    const link = { namespace, uid, serviceName, podId, persistSeconds };
    const previous = await this.sendLinkWrite('setLinkedPod', 'statefulSetLink', link);
    return parsePodId(previous, this.keys.link(namespace, uid, serviceName), this.reportCorrupt);
  }

  /** Links a uid to a pod unless another pod holds a persistent link to it. */
  async trySetLinkedPod(
    namespace: string,
    uid: string,
    serviceName: string,
    podId: number,
    persistSeconds: number,
  ): Promise<TrySetLinkedPodResult> {
    const link = { namespace, uid, serviceName, podId, persistSeconds };
    const reply = await this.sendLinkWrite('trySetLinkedPod', 'statefulTrySetLink', link);
    const [linked, owner] = reply as [number, string];
    return {
      success: linked === 1,
      podId: parsePodId(owner, this.keys.link(namespace, uid, serviceName), this.reportCorrupt),
    };
  }

  /** Links a uid to a pod only if it has no live link; returns the pod linked after the call. */
  async setLinkedPodIfAbsent(
    namespace: string,
    uid: string,
    serviceName: string,
    podId: number,
    persistSeconds: number,
  ): Promise<number> {
    const link = { namespace, uid, serviceName, podId, persistSeconds };
    const linked = await this.sendLinkWrite('setLinkedPodIfAbsent', 'statefulSetLinkIfAbsent', link);
    return parsePodId(linked, this.keys.link(namespace, uid, serviceName), this.reportCorrupt);
  }

  /**
   * Returns the uid's live link, or places the uid on the least-loaded routable pod and links it.
   * `NO_POD` when no pod is routable.
   */
  async computeLinkedPodIfAbsent(
    namespace: string,
    uid: string,
    serviceName: string,
    persistSeconds: number,
    options: ComputeLinkedPodOptions = {},
  ): Promise<number> {
    const operation = 'computeLinkedPodIfAbsent';
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    assertServiceName(operation, serviceName);
    assertLinkTtl(operation, persistSeconds);
    const states = this.routableStates(operation, options);
    const inputs = { namespace, uid, serviceName, persistSeconds, states };
    return this.send(operation, inputs, async () => {
      const linkKey = this.keys.link(namespace, uid, serviceName);
      // A corrupt entry is no link: the script below overwrites it.
      const existing = parsePodId(await this.connection.client.get(linkKey), linkKey, this.reportCorrupt);
      if (existing !== NO_POD) return existing;
      // The service's keys and the uid's keys live in different slots: pick on one, link on the other.
      const liveness = this.options.podLiveness;
      // With podLiveness, pods whose last report is older than the timeout (judged on Redis TIME) are skipped.
      const chosen = liveness
        ? await this.scripts.run('statefulGetLiveServicePod', this.scriptKeys.podRead(namespace, serviceName), [
            uid,
            liveness.timeoutMs,
            ...states,
          ])
        : await this.scripts.run('statefulGetServicePod', this.scriptKeys.podPick(namespace, serviceName), [
            uid,
            ...states,
          ]);
      if (chosen === null) return NO_POD;
      const [linked, created] = (await this.runLinkWrite('statefulComputeLinkIfAbsent', namespace, uid, serviceName, [
        serviceName,
        chosen as string,
        persistSeconds,
      ])) as [string, number];
      // Only the caller that created the link counts the new user; the pods' next report corrects it.
      if (created === 1)
        await this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), [
          'assign',
          linked,
        ]);
      return parsePodId(linked, linkKey, this.reportCorrupt);
    });
  }

  /** The pod the uid is linked to, or `NO_POD`. */
  async getLinkedPod(namespace: string, uid: string, serviceName: string): Promise<number> {
    const operation = 'getLinkedPod';
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    assertServiceName(operation, serviceName);
    // Before init and after shutdown the near-cache is skipped, so that send() says why.
    const nearCache = this.nearCacheInUse ? this.nearCache : null;
    const cached = nearCache?.link(namespace, uid, serviceName);
    if (cached !== undefined) return cached;
    const key = this.keys.link(namespace, uid, serviceName);
    if (nearCache) {
      return this.send(operation, { namespace, uid, serviceName }, () =>
        nearCache.loadLink(
          namespace,
          uid,
          serviceName,
          key,
          (reply) => parsePodId(reply, key, this.reportCorrupt),
          () => this.connection.client.get(key),
        ),
      );
    }
    const podId = await this.send(operation, { namespace, uid, serviceName }, () => this.connection.client.get(key));
    return parsePodId(podId, key, this.reportCorrupt);
  }

  /** The pod the uid is linked to if the link is persistent, else `NO_POD`. */
  async getLinkedPodIfPersist(namespace: string, uid: string, serviceName: string): Promise<number> {
    const operation = 'getLinkedPodIfPersist';
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    assertServiceName(operation, serviceName);
    const key = this.keys.link(namespace, uid, serviceName);
    const podId = await this.send(operation, { namespace, uid, serviceName }, () =>
      this.scripts.run('statefulGetLinkIfPersist', [key], []),
    );
    return parsePodId(podId, key, this.reportCorrupt);
  }

  /** Live links of many uids grouped by pod; uids without a link are left out, each uid once, in input order. */
  async batchGetLinkedPod(namespace: string, uids: string[], serviceName: string): Promise<Record<number, string[]>> {
    const operation = 'batchGetLinkedPod';
    assertNamespace(operation, namespace);
    const list = assertList(operation, 'uids', uids, assertUid);
    assertServiceName(operation, serviceName);
    const result: Record<number, string[]> = {};
    if (list.length === 0) return result;
    const client = this.connection.client;
    const keys = list.map((uid) => this.keys.link(namespace, uid, serviceName));
    // The values come as Buffers, parsed without making a string of each.
    const reading = this.send(
      operation,
      { namespace, uids, serviceName },
      () => readManyBuffers(client, keys),
      readManySteps(list.length),
    );
    // The first MGET has left: repeats (rare; read twice, answered once) are found while Redis answers.
    const seen = new Set<string>();
    const repeat = new Uint8Array(list.length);
    for (let index = 0; index < list.length; index++) {
      if (seen.has(list[index])) repeat[index] = 1;
      else seen.add(list[index]);
    }
    const podIds = await reading;
    for (let index = 0; index < list.length; index++) {
      if (podIds[index] === null || repeat[index] === 1) continue;
      const podId = parsePodIdBuffer(podIds[index], keys[index], this.reportCorrupt);
      if (podId !== NO_POD) (result[podId] ??= []).push(list[index]);
    }
    return result;
  }

  /** Removes the uid's live link now (`persistSeconds <= 0`) or after a linger window; `false` if there was none. */
  async removeLinkedPod(namespace: string, uid: string, serviceName: string, persistSeconds: number): Promise<boolean> {
    const operation = 'removeLinkedPod';
    this.assertRemoveArguments(operation, namespace, uid, serviceName, persistSeconds);
    const removed = await this.send(operation, { namespace, uid, serviceName, persistSeconds }, () =>
      this.runLinkWrite('statefulRemoveLink', namespace, uid, serviceName, [serviceName, persistSeconds]),
    );
    return removed === 1;
  }

  /** As `removeLinkedPod`, but only if the live link points at `podId` (compare-and-delete). */
  async removeLinkedPodWithId(
    namespace: string,
    uid: string,
    serviceName: string,
    persistSeconds: number,
    podId: number,
  ): Promise<boolean> {
    const operation = 'removeLinkedPodWithId';
    this.assertRemoveArguments(operation, namespace, uid, serviceName, persistSeconds);
    assertPodId(operation, podId);
    const removed = await this.send(operation, { namespace, uid, serviceName, persistSeconds, podId }, () =>
      this.runLinkWrite('statefulRemoveLinkWithId', namespace, uid, serviceName, [serviceName, persistSeconds, podId]),
    );
    return removed === 1;
  }

  /** Every service the uid has a live link with, and the pod. */
  async getLinkService(namespace: string, uid: string): Promise<Record<string, number>> {
    const operation = 'getLinkService';
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    const nearCache = this.nearCacheInUse ? this.nearCache : null;
    const cached = nearCache?.links(namespace, uid);
    if (cached !== undefined) return cached;
    const hashKey = this.keys.uidLinks(namespace, uid);
    if (nearCache) {
      return this.send(operation, { namespace, uid }, () =>
        nearCache.loadLinks(
          namespace,
          uid,
          hashKey,
          (reply) => parseServiceLinks(reply, hashKey, this.reportCorrupt),
          () => this.scripts.run('statefulGetLinkService', [hashKey], []),
        ),
      );
    }
    const reply = await this.send(operation, { namespace, uid }, () =>
      this.scripts.run('statefulGetLinkService', [hashKey], []),
    );
    return parseServiceLinks(reply, hashKey, this.reportCorrupt);
  }

  /** A pod reports its load (connections, rooms, ...); new users go to the lowest. */
  async setPodWeight(
    namespace: string,
    serviceName: string,
    podId: number,
    weight: number,
  ): Promise<SweptPodNotice | null> {
    const operation = 'setPodWeight';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    assertWeight(operation, weight);
    const reply = await this.send(operation, { namespace, serviceName, podId, weight }, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), ['weight', podId, weight]),
    );
    return this.noticeOf(reply, { namespace, serviceName, podId });
  }

  /**
   * Records that a pod is alive, for pods that have no state or weight to report (see the `podLiveness` option).
   * Answers, once, whether a sweep declared the pod silent since its last report (else `null`).
   */
  async heartbeat(namespace: string, serviceName: string, podId: number): Promise<SweptPodNotice | null> {
    const operation = 'heartbeat';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    const reply = await this.send(operation, { namespace, serviceName, podId }, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), ['heartbeat', podId]),
    );
    return this.noticeOf(reply, { namespace, serviceName, podId });
  }

  /** Every pod of a service (state, weight, last report, live), sorted by pod id; one round trip. */
  async getPods(namespace: string, serviceName: string): Promise<PodReport[]> {
    const operation = 'getPods';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    const keys = this.scriptKeys.podRead(namespace, serviceName);
    const reply = await this.send(operation, { namespace, serviceName }, () =>
      this.scripts.run('statefulGetPods', keys, []),
    );
    const [states, weights, seen] = keys;
    return parsePodReports(reply, { states, weights, seen }, this.options.podLiveness?.timeoutMs, this.reportCorrupt);
  }

  /** The pod states of several services; services without any are left out. One round trip per node. */
  async batchGetServiceState(
    namespace: string,
    serviceNames: string[],
  ): Promise<Record<string, Record<number, string>>> {
    const operation = 'batchGetServiceState';
    assertNamespace(operation, namespace);
    const services = assertDistinctList(operation, 'serviceNames', serviceNames, assertServiceName);
    const result: Record<string, Record<number, string>> = {};
    for (let start = 0; start < services.length; start += SERVICES_PER_STEP) {
      const step = services.slice(start, start + SERVICES_PER_STEP);
      // Sent at once: the client writes them all before the first reply, to each service's node.
      const replies = await this.send(operation, { namespace, serviceNames }, () =>
        Promise.all(
          step.map((service) => this.scripts.run('statefulGetService', [this.keys.podStates(namespace, service)], [])),
        ),
      );
      step.forEach((service, index) => {
        const flat = replies[index] as string[];
        if (flat.length > 0)
          setEntry(result, service, parsePodMap(flat, this.keys.podStates(namespace, service), this.reportCorrupt));
      });
    }
    return result;
  }

  /**
   * Sets pod states of several services, `{ service: { podId: state } }`: written on the pods' behalf (a
   * controller, an operator: no liveness entry is touched) unless `{ asPodReport: true }`, when the pods
   * themselves report through this call; reports answer the pods a sweep had declared silent.
   * Validated as a whole before anything is written; each service's update is atomic, but services in different
   * cluster slots are not one transaction. One round trip per node.
   */
  async batchSetServiceState(
    namespace: string,
    states: Record<string, Record<number, string>>,
    options?: SetServiceStateOptions,
  ): Promise<SweptPodNotice[]> {
    const operation = 'batchSetServiceState';
    assertNamespace(operation, namespace);
    const services = assertServiceStates(operation, states).filter(([, pairs]) => pairs.length > 0);
    const reports = assertAsPodReport(operation, options, false) ? '1' : '0';
    const notices: SweptPodNotice[] = [];
    for (let start = 0; start < services.length; start += SERVICES_PER_STEP) {
      const step = services.slice(start, start + SERVICES_PER_STEP);
      const replies = await this.send(operation, { namespace, services: services.length }, () =>
        Promise.all(
          step.map(([service, pairs]) =>
            this.scripts.run('statefulSetServiceStates', this.scriptKeys.podWrite(namespace, service), [
              reports,
              ...pairs,
            ]),
          ),
        ),
      );
      step.forEach(([service], index) => {
        for (const notice of parseSweptPodNotices(replies[index], namespace, service)) notices.push(notice);
      });
    }
    for (const notice of notices) this.tellSweptPod(notice);
    return notices;
  }

  /**
   * Removes every live link of the service that points at the pod (or, with `lingerSeconds > 0`, turns them into
   * temporary links), each by compare-and-delete: a user re-linked meanwhile to another pod is left alone.
   * Returns how many it removed. Cost: a full SCAN of the keyspace of every master, in batches of about 1000 keys
   * (`onProgress` after each), plus one script per link of the pod.
   */
  async removePodLinks(
    namespace: string,
    serviceName: string,
    podId: number,
    options?: RemovePodLinksOptions,
  ): Promise<number> {
    const operation = 'removePodLinks';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    const { lingerSeconds = 0, onProgress, mark } = assertOptionsObject<RemovePodLinksOptions>(operation, options);
    assertLingerTtl(operation, lingerSeconds, 'options.lingerSeconds');
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalidParameter(operation, 'options.onProgress', 'must be a function', onProgress);
    const marks = mark === undefined ? undefined : this.assertMarks(operation, [mark], 'options.mark');
    if (mark !== undefined && (mark.serviceName !== serviceName || mark.podId !== podId))
      throw invalidParameter(operation, 'options.mark', 'must be the mark of that pod of that service', mark);
    const { removed } = await walkPodLinks(this.walkDependencies(), {
      operation,
      inputs: { namespace, serviceName, podId, lingerSeconds },
      namespace,
      pods: new Map([[serviceName, new Map([[podId, true as const]])]]),
      lingerSeconds,
      onProgress,
      guard: marks && ((batch) => this.stepMarkedPods(namespace, 'batch', batch, marks)),
    });
    return removed.get(serviceName)?.get(podId) ?? 0;
  }

  /**
   * The first step of the dead-pod sweep, for one service: marks every pod whose own last report is more than
   * `silentForMs` old, judged in one script on the clock of the master holding the pods' liveness entries. A
   * marked pod's state is `silent` (routable for no gateway, Java and Go ones included), and a pod still marked by
   * a sweep that did not finish is returned with its mark. Pods without an own liveness entry (Java or Go pods,
   * or pods whose state or weight another implementation wrote since) are never marked.
   */
  async markSilentPods(namespace: string, serviceName: string, silentForMs: number): Promise<SilentPodMark[]> {
    const operation = 'markSilentPods';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    if (!Number.isSafeInteger(silentForMs) || silentForMs < 0)
      throw invalidParameter(operation, 'silentForMs', 'must be an integer >= 0 (ms)', silentForMs);
    const reply = await this.send(operation, { namespace, serviceName, silentForMs }, () =>
      this.scripts.run('statefulSweepSilentPods', this.scriptKeys.podWrite(namespace, serviceName), [
        'mark',
        silentForMs,
        SILENT_POD_STATE,
      ]),
    );
    return parseSilentPodMarks(reply, serviceName);
  }

  /**
   * The second step of the dead-pod sweep: removes the links of the marked pods of a namespace in one walk of its
   * keyspace. Every batch of removals is conditional on each pod still being the silent pod its mark describes
   * (state still `silent`, last report unchanged, entries not written by another implementation): a pod that
   * reports, or whose state is written, stops losing links within one batch. A pod whose removal fails (a key
   * Redis cannot read as a link) or reaches Redis after its batch's settle time is answered `unfinished`, and the
   * walk goes on for the others: do not forget it. Cost: one SCAN of every master.
   */
  async removeMarkedPodLinks(
    namespace: string,
    marks: SilentPodMark[],
    options?: Pick<RemovePodLinksOptions, 'onProgress'>,
  ): Promise<MarkedPodSweep[]> {
    const operation = 'removeMarkedPodLinks';
    assertNamespace(operation, namespace);
    const byPod = this.assertMarks(operation, marks);
    const { onProgress } = assertOptionsObject<RemovePodLinksOptions>(operation, options);
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalidParameter(operation, 'options.onProgress', 'must be a function', onProgress);
    const pods: PodsByService<true> = new Map();
    for (const { serviceName, podId } of marks)
      pods.set(serviceName, (pods.get(serviceName) ?? new Map()).set(podId, true));
    const { removed, unfinished } =
      marks.length === 0
        ? { removed: new Map(), unfinished: new Map() }
        : await walkPodLinks(this.walkDependencies(), {
            operation,
            inputs: { namespace, pods: marks.length },
            namespace,
            pods,
            lingerSeconds: 0,
            onProgress,
            guard: (batch) => this.stepMarkedPods(namespace, 'batch', batch, byPod),
            isolatePods: true,
          });
    return marks.map(({ serviceName, podId }) => {
      const why = unfinished.get(serviceName)?.get(podId);
      return {
        serviceName,
        podId,
        removed: removed.get(serviceName)?.get(podId) ?? 0,
        stillMarked: pods.get(serviceName)?.has(podId) ?? false,
        ...(why === undefined ? {} : { unfinished: why }),
      };
    });
  }

  /**
   * The last step of the dead-pod sweep: forgets each marked pod (state, weight, last report) that is still the
   * silent pod its mark describes; returns those forgotten. A forgotten pod learns of the sweep at its next report.
   */
  async forgetMarkedPods(namespace: string, marks: SilentPodMark[]): Promise<SilentPodMark[]> {
    const operation = 'forgetMarkedPods';
    assertNamespace(operation, namespace);
    const byPod = this.assertMarks(operation, marks);
    const pods: PodsByService<number> = new Map();
    for (const { serviceName, podId } of marks)
      pods.set(serviceName, (pods.get(serviceName) ?? new Map<number, number>()).set(podId, 0));
    const forgotten = await this.send(operation, { namespace, pods: marks.length }, () =>
      this.stepMarkedPods(namespace, 'forget', pods, byPod),
    );
    return marks.filter(({ serviceName, podId }) => forgotten.get(serviceName)?.has(podId));
  }

  /**
   * Services that have pod states or liveness entries (pods that only heartbeat), of one namespace or of all: the
   * first `limit` (default 1000) in (namespace, serviceName) order, after `options.after` when given (the last of
   * the previous page). Cost: a full SCAN of the keyspace of every master per call.
   */
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
    const found = new Map<string, ServiceRef>();
    const byName = (a: ServiceRef, b: ServiceRef) =>
      compareText(a.namespace, b.namespace) || compareText(a.serviceName, b.serviceName);
    // Bounded memory however many services there are: the first `limit` so far are kept.
    const trim = () => {
      const kept = [...found.entries()].sort(([, a], [, b]) => byName(a, b)).slice(0, limit);
      found.clear();
      for (const [id, ref] of kept) found.set(id, ref);
    };
    await scanEveryMaster(this.connection.client, this.patterns.podEntries(namespace), operation, async (scan) => {
      const keys = await this.send(operation, { namespace, limit }, scan);
      for (const key of keys) {
        const ref = this.patterns.serviceOfPodEntries(key);
        if (ref === undefined || (namespace !== undefined && ref.namespace !== namespace)) continue;
        if (after !== undefined && byName(ref, after) <= 0) continue;
        // Written by another client with a name this library refuses: no method could read it, so it is not listed.
        if (!isAcceptedServiceRef(ref)) this.reportUnreadableService(key);
        else found.set(`${ref.namespace}:${ref.serviceName}`, ref);
      }
      if (found.size > 2 * limit) trim();
    });
    trim();
    return [...found.values()];
  }

  /**
   * Every live link of a uid with its pod and remaining TTL (`null`: persistent), sorted by service; one round trip.
   */
  async getUserLinks(namespace: string, uid: string): Promise<UserLink[]> {
    const operation = 'getUserLinks';
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    const hashKey = this.keys.uidLinks(namespace, uid);
    const reply = await this.send(operation, { namespace, uid }, () =>
      this.scripts.run('statefulGetUserLinks', [hashKey], []),
    );
    return parseUserLinks(reply, hashKey, this.reportCorrupt);
  }

  /**
   * The first step of a sweep: sets the pod's state to `silent` (routable for no gateway, Java and Go ones
   * included; not a report of the pod), only if its last report is still the one at `lastSeenAt` (ms, from
   * `getPods`). Returns whether it did; a pod that reported again meanwhile is left as it is. The pod's next
   * `setServiceState` gives it a routable state again.
   */
  async markSilentPod(namespace: string, serviceName: string, podId: number, lastSeenAt: number): Promise<boolean> {
    return this.writeIfSilent('markSilentPod', namespace, serviceName, podId, lastSeenAt, [SILENT_POD_STATE]);
  }

  /**
   * As `removePod`, only if the pod's last report is still the one at `lastSeenAt` (ms, from `getPods`): a pod that
   * reported again meanwhile is kept. Returns whether it was forgotten. For sweeps of silent pods.
   */
  async removeSilentPod(namespace: string, serviceName: string, podId: number, lastSeenAt: number): Promise<boolean> {
    return this.writeIfSilent('removeSilentPod', namespace, serviceName, podId, lastSeenAt, []);
  }

  /**
   * Forgets a pod's state, weight and last report (scale-down); links to it expire or are removed on their own
   * (`removePodLinks`).
   */
  async removePod(namespace: string, serviceName: string, podId: number): Promise<void> {
    const operation = 'removePod';
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    await this.send(operation, { namespace, serviceName, podId }, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), ['remove', podId]),
    );
  }

  /**
   * The three link writes that take a pod (set, try-set, set-if-absent): the same arguments, checked the same way,
   * and the same ARGV (service, pod, TTL) for their scripts; each caller reads the script's reply itself.
   */
  private sendLinkWrite(
    operation: string,
    script: ScriptName,
    link: { namespace: string; uid: string; serviceName: string; podId: number; persistSeconds: number },
  ): Promise<unknown> {
    const { namespace, uid, serviceName, podId, persistSeconds } = link;
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    assertLinkTtl(operation, persistSeconds);
    return this.send(operation, link, () =>
      this.runLinkWrite(script, namespace, uid, serviceName, [serviceName, podId, persistSeconds]),
    );
  }

  /** Runs a script that may write a link; the near-cache forgets the link once it ran (or failed: it may have run). */
  private runLinkWrite(
    name: ScriptName,
    namespace: string,
    uid: string,
    serviceName: string,
    args: Array<string | number>,
  ): Promise<unknown> {
    const keys = this.scriptKeys.link(namespace, uid, serviceName);
    const write = this.scripts.run(name, keys, args);
    const nearCache = this.nearCache;
    return nearCache === null ? write : write.finally(() => nearCache.invalidate(keys[1]));
  }

  /** `markSilentPod` / `removeSilentPod`: one script, conditional on the pod's last report. */
  private async writeIfSilent(
    operation: 'markSilentPod' | 'removeSilentPod',
    namespace: string,
    serviceName: string,
    podId: number,
    lastSeenAt: number,
    extra: string[],
  ): Promise<boolean> {
    assertNamespace(operation, namespace);
    assertServiceName(operation, serviceName);
    assertPodId(operation, podId);
    if (!Number.isSafeInteger(lastSeenAt) || lastSeenAt < 0)
      throw invalidParameter(operation, 'lastSeenAt', 'must be an integer >= 0 (ms)', lastSeenAt);
    const action = operation === 'markSilentPod' ? 'markIfSilent' : 'removeIfSilent';
    const written = await this.send(operation, { namespace, serviceName, podId, lastSeenAt }, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), [
        action,
        podId,
        lastSeenAt,
        ...extra,
      ]),
    );
    return written === 1;
  }

  private walkDependencies() {
    const { connection, patterns, scripts, nearCache, send } = this;
    return { client: connection.client, patterns, scripts, nearCache, send };
  }

  /** The marks of one namespace, checked; by `service\npod`, for the steps that name a pod's mark. */
  private assertMarks(operation: string, marks: unknown, field = 'marks'): Map<string, { markedAt: number }> {
    const list = assertSilentPodMarks(operation, marks, field);
    return new Map(list.map((mark) => [`${mark.serviceName}\n${mark.podId}`, mark]));
  }

  /**
   * One conditional step of a sweep for the pods of `pods` (by service, with a count of links for 'batch'): one
   * script per service, on its pods' slot; answers the pods still marked, for which the step was done, each with
   * the Redis time until which a batch's removals are valid (its settleAt; 0 for 'forget').
   */
  private async stepMarkedPods(
    namespace: string,
    step: 'batch' | 'forget',
    pods: PodsByService<number>,
    marks: Map<string, { markedAt: number }>,
  ): Promise<PodsByService<number>> {
    const services = [...pods];
    const replies = await Promise.all(
      services.map(([service, counts]) =>
        this.scripts.run('statefulSweepSilentPods', this.scriptKeys.podWrite(namespace, service), [
          step,
          ...[...counts].flatMap(([podId, count]) => [podId, marks.get(`${service}\n${podId}`)!.markedAt, count]),
        ]),
      ),
    );
    return new Map(
      services.map(([service], index) => {
        const [settleAt, done] = step === 'batch' ? (replies[index] as [number, unknown]) : [0, replies[index]];
        return [service, new Map([...parseStillMarked(done)].map((podId) => [podId, Number(settleAt)]))];
      }),
    );
  }

  /** A report's answer: the sweep it learns of, logged and counted, or `null`. */
  private noticeOf(
    reply: unknown,
    pod: { namespace: string; serviceName: string; podId: number },
  ): SweptPodNotice | null {
    const notice = parseSweptPodNotice(reply, pod);
    if (notice) this.tellSweptPod(notice);
    return notice;
  }

  private tellSweptPod(notice: SweptPodNotice): void {
    // A report answers its notice again for a while (a retry after a lost reply): logged and counted once here.
    const told = `${notice.namespace}\n${notice.serviceName}\n${notice.podId}\n${notice.markedAt}`;
    if (this.toldNotices.has(told)) return;
    this.toldNotices.add(told);
    if (this.toldNotices.size > TOLD_NOTICES_KEPT) this.toldNotices.delete(this.toldNotices.values().next().value!);
    this.metrics?.podBackAfterSweep(notice.namespace, notice.serviceName);
    this.logger.warn(
      `Pod ${notice.podId} of ${notice.namespace}/${notice.serviceName} reported after a sweep declared it silent ` +
        `(last report ${new Date(notice.lastSeenAt).toISOString()}, ` +
        `marked ${new Date(notice.markedAt).toISOString()}): ` +
        `up to ${notice.linksRemoved} of its link(s) removed${notice.forgotten ? ', its state forgotten' : ''}; ` +
        'it must re-link the users it still serves (README: the restart pattern)',
    );
  }

  private assertRemoveArguments(
    operation: string,
    namespace: unknown,
    uid: unknown,
    serviceName: unknown,
    persistSeconds: unknown,
  ): void {
    assertNamespace(operation, namespace);
    assertUid(operation, uid);
    assertServiceName(operation, serviceName);
    assertLingerTtl(operation, persistSeconds);
  }

  private routableStates(operation: string, options: ComputeLinkedPodOptions): string[] {
    if (typeof options !== 'object' || options === null)
      throw invalidParameter(operation, 'options', 'must be an object', options);
    if (options.states === undefined) return this.options.routableStates;
    const states = assertDistinctList(operation, 'options.states', options.states, assertState);
    if (states.length === 0)
      throw invalidParameter(operation, 'options.states', 'must name at least one state', options.states);
    return states;
  }
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
