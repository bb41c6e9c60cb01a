import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { readMany, readManyBuffers, readManySteps } from '../core/connection/read-many';
import type { RedisConnection } from '../core/connection/redis-connection';
import { scrubText } from '../core/errors/credential-scrubber';
import { invalidParameter } from '../core/errors/invalid-parameter';
import type { ResolvedStatefulRedisOptions } from '../core/interfaces/stateful-redis-module-options.interface';
import type { FeatureSend, OperationInputs } from '../core/operations/operation-pipeline';
import type { FeatureScripts } from '../core/scripts/script-runner';
import type { StatefulRedisCore } from '../core/stateful-redis-core';
import type { ComputeLinkedPodOptions } from './interfaces/compute-linked-pod-options.interface';
import type { FindServicesOptions } from './interfaces/find-services-options.interface';
import type { PodReport } from './interfaces/pod-report.interface';
import type { ServiceRef } from './interfaces/service-ref.interface';
import type { SetServiceStateOptions } from './interfaces/set-service-state-options.interface';
import type { MarkedPodSweep, SilentPodMark, SweptPodNotice } from './interfaces/silent-pod.interface';
import type { RemovePodLinksOptions } from './interfaces/sweep-options.interface';
import type { TrySetLinkedPodResult } from './interfaces/try-set-linked-pod-result.interface';
import type { UserLink } from './interfaces/user-link.interface';
import { KeyPatterns } from './keys/key-patterns';
import { KeySchema } from './keys/key-schema';
import { ScriptKeys } from './keys/script-keys';
import type { NearCache } from './near-cache/near-cache';
import { parsePodReports, parseUserLinks } from './replies/lifecycle-replies';
import { parsePodId, parsePodIdBuffer, parsePodMap, parseServiceLinks, setEntry } from './replies/reply-parsers';
import { parseSweptPodNotices } from './replies/sweep-replies';
import { ROUTING_SCRIPTS, type RoutingScripts, type ScriptName } from './routing-script-names';
import { NO_POD } from './routing.constants';
import { KeyspaceScans } from './scan/keyspace-scans';
import { SilentPodSweep } from './sweep/silent-pod-sweep';
import { SweptPodNotices } from './sweep/swept-pod-notices';
import {
  assertAsPodReport,
  assertDistinctList,
  assertLingerTtl,
  assertLinkRef,
  assertLinkTtl,
  assertList,
  assertNamespace,
  assertPodId,
  assertPodRef,
  assertServiceName,
  assertServiceRef,
  assertServiceStates,
  assertState,
  assertUid,
  assertWeight,
} from './validation/argument-validator';

/** Services per step of the batch pod-report calls: one step is one round trip per node. */
const SERVICES_PER_STEP = 1_000;

/**
 * The shared directory of a stateful service: which pod owns which user, pod states and weights.
 * Every method validates its arguments before any Redis call and rejects with a `StatefulError`.
 * Its method names are those of the Java and Go implementations. The sweep of silent pods and the calls that
 * walk the whole keyspace are in `sweep/silent-pod-sweep.ts` and `scan/keyspace-scans.ts`.
 */
@Injectable()
export class StatefulExecutorService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('StatefulRedis');
  private readonly options: ResolvedStatefulRedisOptions;
  private readonly connection: RedisConnection;
  private readonly keys: KeySchema;
  private readonly scriptKeys: ScriptKeys;
  private readonly scripts: FeatureScripts<RoutingScripts>;
  /** A stored value that is not a pod id reads as none (see canonicalPodId); operators should hear of it. */
  private readonly reportCorrupt = (key: string, value: string): void =>
    this.logger.warn(
      `Corrupt entry: ${key} holds ${JSON.stringify(value)} where a pod id (decimal integer in 0..2147483647) ` +
        'was expected; read as no link, overwritten by the next write',
    );
  /** The core's pipeline, counting and logging under `feature="routing"`. */
  private readonly send: FeatureSend;
  private readonly notices: SweptPodNotices;
  private readonly sweep: SilentPodSweep;
  private readonly scans: KeyspaceScans;
  /** Whether reads may use the near-cache: from init until shutdown. */
  private nearCacheInUse = false;

  constructor(
    core: StatefulRedisCore,
    private readonly nearCache: NearCache | null,
  ) {
    const { options, connection, scripts, pipeline, metrics } = core;
    this.options = options;
    this.connection = connection;
    this.keys = new KeySchema(options.keyPrefix);
    this.scriptKeys = new ScriptKeys(this.keys);
    this.send = pipeline.forFeature('routing');
    // Before any init hook: the core preloads every registered script when it connects.
    this.scripts = scripts.register(ROUTING_SCRIPTS);
    const walk = {
      client: connection.client,
      patterns: new KeyPatterns(this.keys),
      scripts: this.scripts,
      nearCache,
      send: this.send,
    };
    this.notices = new SweptPodNotices(this.logger, metrics);
    this.sweep = new SilentPodSweep(walk, this.scriptKeys);
    this.scans = new KeyspaceScans(walk, this.sweep, this.logger);
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

  // Pod reports and service states.

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
    assertPodRef(operation, namespace, serviceName, podId);
    assertState(operation, state);
    const asPodReport = assertAsPodReport(operation, options, true);
    const action = asPodReport ? 'state' : 'stateOnly';
    const inputs = { namespace, serviceName, podId, state, asPodReport };
    return this.writePodState(operation, inputs, [action, podId, state]);
  }

  /** A pod reports its load (connections, rooms, ...); new users go to the lowest. */
  async setPodWeight(
    namespace: string,
    serviceName: string,
    podId: number,
    weight: number,
  ): Promise<SweptPodNotice | null> {
    const operation = 'setPodWeight';
    assertPodRef(operation, namespace, serviceName, podId);
    assertWeight(operation, weight);
    return this.writePodState(operation, { namespace, serviceName, podId, weight }, ['weight', podId, weight]);
  }

  /**
   * Records that a pod is alive, for pods that have no state or weight to report (see the `podLiveness` option).
   * Answers, once, whether a sweep declared the pod silent since its last report (else `null`).
   */
  async heartbeat(namespace: string, serviceName: string, podId: number): Promise<SweptPodNotice | null> {
    const operation = 'heartbeat';
    assertPodRef(operation, namespace, serviceName, podId);
    return this.writePodState(operation, { namespace, serviceName, podId }, ['heartbeat', podId]);
  }

  /** The state of every pod of a service, by pod id. */
  async getServiceState(namespace: string, serviceName: string): Promise<Record<number, string>> {
    const operation = 'getServiceState';
    assertServiceRef(operation, namespace, serviceName);
    const key = this.keys.podStates(namespace, serviceName);
    const reply = await this.send(operation, { namespace, serviceName }, () =>
      this.scripts.run('statefulGetService', [key], []),
    );
    return parsePodMap(reply, key, this.reportCorrupt);
  }

  /** Every pod of a service (state, weight, last report, live), sorted by pod id; one round trip. */
  async getPods(namespace: string, serviceName: string): Promise<PodReport[]> {
    const operation = 'getPods';
    assertServiceRef(operation, namespace, serviceName);
    const keys = this.scriptKeys.podRead(namespace, serviceName);
    const reply = await this.send(operation, { namespace, serviceName }, () =>
      this.scripts.run('statefulGetPods', keys, []),
    );
    const [states, weights, seen] = keys;
    return parsePodReports(reply, { states, weights, seen }, this.options.podLiveness?.timeoutMs, this.reportCorrupt);
  }

  /**
   * Forgets a pod's state, weight and last report (scale-down); links to it expire or are removed on their own
   * (`removePodLinks`).
   */
  async removePod(namespace: string, serviceName: string, podId: number): Promise<void> {
    const operation = 'removePod';
    assertPodRef(operation, namespace, serviceName, podId);
    await this.send(operation, { namespace, serviceName, podId }, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), ['remove', podId]),
    );
  }

  /** Sets the workload state of a service. */
  async setWorkloadState(namespace: string, serviceName: string, state: string): Promise<void> {
    const operation = 'setWorkloadState';
    assertServiceRef(operation, namespace, serviceName);
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

  // Links.

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
    assertLinkRef(operation, namespace, uid, serviceName);
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
    assertLinkRef(operation, namespace, uid, serviceName);
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
    assertLinkRef(operation, namespace, uid, serviceName);
    const key = this.keys.link(namespace, uid, serviceName);
    const podId = await this.send(operation, { namespace, uid, serviceName }, () =>
      this.scripts.run('statefulGetLinkIfPersist', [key], []),
    );
    return parsePodId(podId, key, this.reportCorrupt);
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

  /** Removes the uid's live link now (`persistSeconds <= 0`) or after a linger window; `false` if there was none. */
  async removeLinkedPod(namespace: string, uid: string, serviceName: string, persistSeconds: number): Promise<boolean> {
    const operation = 'removeLinkedPod';
    assertLinkRef(operation, namespace, uid, serviceName);
    assertLingerTtl(operation, persistSeconds);
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
    assertLinkRef(operation, namespace, uid, serviceName);
    assertLingerTtl(operation, persistSeconds);
    assertPodId(operation, podId);
    const removed = await this.send(operation, { namespace, uid, serviceName, persistSeconds, podId }, () =>
      this.runLinkWrite('statefulRemoveLinkWithId', namespace, uid, serviceName, [serviceName, persistSeconds, podId]),
    );
    return removed === 1;
  }

  // Batch calls.

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
    for (const notice of notices) this.notices.tell(notice);
    return notices;
  }

  // Sweeps of silent pods, and the calls that walk the whole keyspace.

  /**
   * The first step of a sweep: sets the pod's state to `silent` (routable for no gateway, Java and Go ones
   * included; not a report of the pod), only if its last report is still the one at `lastSeenAt` (ms, from
   * `getPods`). Returns whether it did; a pod that reported again meanwhile is left as it is. The pod's next
   * `setServiceState` gives it a routable state again.
   */
  async markSilentPod(namespace: string, serviceName: string, podId: number, lastSeenAt: number): Promise<boolean> {
    return this.sweep.writeIfSilent('markSilentPod', namespace, serviceName, podId, lastSeenAt);
  }

  /**
   * As `removePod`, only if the pod's last report is still the one at `lastSeenAt` (ms, from `getPods`): a pod that
   * reported again meanwhile is kept. Returns whether it was forgotten. For sweeps of silent pods.
   */
  async removeSilentPod(namespace: string, serviceName: string, podId: number, lastSeenAt: number): Promise<boolean> {
    return this.sweep.writeIfSilent('removeSilentPod', namespace, serviceName, podId, lastSeenAt);
  }

  /**
   * The first step of the dead-pod sweep, for one service: marks every pod whose own last report is more than
   * `silentForMs` old, judged in one script on the clock of the master holding the pods' liveness entries. A
   * marked pod's state is `silent` (routable for no gateway, Java and Go ones included), and a pod still marked by
   * a sweep that did not finish is returned with its mark. Pods without an own liveness entry (Java or Go pods,
   * or pods whose state or weight another implementation wrote since) are never marked.
   */
  async markSilentPods(namespace: string, serviceName: string, silentForMs: number): Promise<SilentPodMark[]> {
    return this.sweep.markSilentPods(namespace, serviceName, silentForMs);
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
    return this.sweep.removeMarkedPodLinks(namespace, marks, options);
  }

  /**
   * The last step of the dead-pod sweep: forgets each marked pod (state, weight, last report) that is still the
   * silent pod its mark describes; returns those forgotten. A forgotten pod learns of the sweep at its next report.
   */
  async forgetMarkedPods(namespace: string, marks: SilentPodMark[]): Promise<SilentPodMark[]> {
    return this.sweep.forgetMarkedPods(namespace, marks);
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
    return this.scans.removePodLinks({ namespace, serviceName, podId }, options);
  }

  /**
   * Services that have pod states or liveness entries (pods that only heartbeat), of one namespace or of all: the
   * first `limit` (default 1000) in (namespace, serviceName) order, after `options.after` when given (the last of
   * the previous page). Cost: a full SCAN of the keyspace of every master per call.
   */
  async findServices(namespace?: string, options?: FindServicesOptions): Promise<ServiceRef[]> {
    return this.scans.findServices(namespace, options);
  }

  /** A pod's report or a write on its behalf (statefulSetState): answers the sweep notice it learns of, if any. */
  private async writePodState(
    operation: string,
    inputs: OperationInputs & { namespace: string; serviceName: string; podId: number },
    args: Array<string | number>,
  ): Promise<SweptPodNotice | null> {
    const { namespace, serviceName, podId } = inputs;
    const reply = await this.send(operation, inputs, () =>
      this.scripts.run('statefulSetState', this.scriptKeys.podWrite(namespace, serviceName), args),
    );
    return this.notices.of(reply, { namespace, serviceName, podId });
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
    assertLinkRef(operation, namespace, uid, serviceName);
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
