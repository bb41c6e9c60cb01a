import { createHash } from 'node:crypto';
import type { StatefulExecutorService } from '../../../lib';

/*
 * An in-memory model of SPEC.md, written from the contract (not from the Lua), and the
 * operations the model-based tests send to the library and to the model alike.
 */

const NO_POD = -1;

export type Op =
  | {
      kind: 'setLinkedPod' | 'trySetLinkedPod' | 'setLinkedPodIfAbsent';
      uid: string;
      svc: string;
      pod: number;
      ttl: number;
    }
  | { kind: 'computeLinkedPodIfAbsent'; uid: string; svc: string; ttl: number; states?: string[] }
  | { kind: 'getLinkedPod' | 'getLinkedPodIfPersist'; uid: string; svc: string }
  | { kind: 'batchGetLinkedPod'; uids: string[]; svc: string }
  | { kind: 'removeLinkedPod'; uid: string; svc: string; linger: number }
  | { kind: 'removeLinkedPodWithId'; uid: string; svc: string; linger: number; pod: number }
  | { kind: 'getLinkService'; uid: string }
  | { kind: 'setServiceState'; svc: string; pod: number; state: string }
  | { kind: 'getServiceState'; svc: string }
  | { kind: 'setWorkloadState'; svc: string; state: string }
  | { kind: 'getWorkloadState'; svcs: string[] }
  | { kind: 'setPodWeight'; svc: string; pod: number; weight: number }
  | { kind: 'removePod'; svc: string; pod: number };

/** When a call was sent and when its reply arrived (epoch ms): Redis ran it somewhere in between. */
export interface CallWindow {
  start: number;
  end: number;
}

/** The run has more possible states than the checker keeps apart: it proves nothing beyond its invariants. */
export class Inconclusive extends Error {}

/**
 * Thrown by the model when a call fell so close to a link's expiry that the link may have been live or
 * gone: `explore` runs the call again once per answer, and both outcomes stay candidates.
 */
class NeedsChoice extends Error {}

/** How deep one call may branch on expiry ambiguities (a storage check meets at most 4 uids x 2 services). */
const MAX_CHOICES = 8;

interface Link {
  pod: number;
  /** Bounds of the expiry instant of a temporary link; `null` for a persistent one. */
  expiry: { earliest: number; latest: number } | null;
}

/** Redis counts expiry in whole milliseconds: one of slack on either side. */
const SLACK_MS = 2;

/** Sends an op to the library; the reply in the form the model gives. */
export async function execute(service: StatefulExecutorService, ns: string, op: Op): Promise<unknown> {
  switch (op.kind) {
    case 'setLinkedPod':
      return service.setLinkedPod(ns, op.uid, op.svc, op.pod, op.ttl);
    case 'trySetLinkedPod':
      return service.trySetLinkedPod(ns, op.uid, op.svc, op.pod, op.ttl);
    case 'setLinkedPodIfAbsent':
      return service.setLinkedPodIfAbsent(ns, op.uid, op.svc, op.pod, op.ttl);
    case 'computeLinkedPodIfAbsent':
      return service.computeLinkedPodIfAbsent(
        ns,
        op.uid,
        op.svc,
        op.ttl,
        op.states ? { states: op.states } : undefined,
      );
    case 'getLinkedPod':
      return service.getLinkedPod(ns, op.uid, op.svc);
    case 'getLinkedPodIfPersist':
      return service.getLinkedPodIfPersist(ns, op.uid, op.svc);
    case 'batchGetLinkedPod':
      return service.batchGetLinkedPod(ns, op.uids, op.svc);
    case 'removeLinkedPod':
      return service.removeLinkedPod(ns, op.uid, op.svc, op.linger);
    case 'removeLinkedPodWithId':
      return service.removeLinkedPodWithId(ns, op.uid, op.svc, op.linger, op.pod);
    case 'getLinkService':
      return service.getLinkService(ns, op.uid);
    case 'setServiceState':
      return service.setServiceState(ns, op.svc, op.pod, op.state);
    case 'getServiceState':
      return service.getServiceState(ns, op.svc);
    case 'setWorkloadState':
      return service.setWorkloadState(ns, op.svc, op.state);
    case 'getWorkloadState':
      return service.getWorkloadState(ns, op.svcs);
    case 'setPodWeight':
      return service.setPodWeight(ns, op.svc, op.pod, op.weight);
    case 'removePod':
      return service.removePod(ns, op.svc, op.pod);
  }
}

/** JSON with object keys sorted, so that equal replies compare equal as strings. */
export function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : v,
    ) ?? 'undefined'
  );
}

export function describeOp(op: Op): string {
  const { kind, ...args } = op;
  return `${kind}(${Object.values(args)
    .map((v) => JSON.stringify(v))
    .join(', ')})`;
}

/** Rendezvous score of SPEC's tie-break: the highest SHA1(uid:podId) wins. */
function score(uid: string, pod: number): string {
  return createHash('sha1').update(`${uid}:${pod}`).digest('hex');
}

export class SpecModel {
  private links = new Map<string, Link>();
  private states = new Map<string, Map<number, string>>();
  private weights = new Map<string, Map<number, number>>();
  private workloads = new Map<string, string>();
  /** Answers to the expiry ambiguities met by the current `explore` branch, in order. */
  private choices: boolean[] = [];
  private choiceIndex = 0;

  constructor(private readonly routableStates: string[] = ['running']) {}

  clone(): SpecModel {
    const copy = new SpecModel(this.routableStates);
    for (const [key, link] of this.links)
      copy.links.set(key, { pod: link.pod, expiry: link.expiry && { ...link.expiry } });
    for (const [svc, pods] of this.states) copy.states.set(svc, new Map(pods));
    for (const [svc, pods] of this.weights) copy.weights.set(svc, new Map(pods));
    copy.workloads = new Map(this.workloads);
    return copy;
  }

  /** Identity of the state, to drop duplicate candidates. */
  fingerprint(): string {
    const sorted = <T>(map: Map<string, T>) => [...map].sort(([a], [b]) => (a < b ? -1 : 1));
    return canonical([
      sorted(this.links),
      sorted(this.states).map(([svc, pods]) => [svc, [...pods].sort()]),
      sorted(this.weights).map(([svc, pods]) => [svc, [...pods].sort()]),
      sorted(this.workloads),
    ]);
  }

  /**
   * Applies `op` as Redis would have run it within `window`; returns the reply SPEC prescribes.
   * Near a link's expiry it needs an answer to "live or gone?": call it inside `explore`.
   */
  apply(op: Op, window: CallWindow): unknown {
    switch (op.kind) {
      case 'setLinkedPod': {
        const previous = this.live(op.uid, op.svc, window);
        this.write(op.uid, op.svc, op.pod, op.ttl, window);
        return previous ? previous.pod : NO_POD;
      }
      case 'trySetLinkedPod': {
        const current = this.live(op.uid, op.svc, window);
        if (current && current.expiry === null && current.pod !== op.pod) return { success: false, podId: current.pod };
        this.write(op.uid, op.svc, op.pod, op.ttl, window);
        return { success: true, podId: op.pod };
      }
      case 'setLinkedPodIfAbsent': {
        const current = this.live(op.uid, op.svc, window);
        if (current) return current.pod;
        this.write(op.uid, op.svc, op.pod, op.ttl, window);
        return op.pod;
      }
      case 'computeLinkedPodIfAbsent': {
        // The parts run back to back here; `advance` lets other calls run between them.
        let progress: CallProgress = { part: 0 };
        while (!progress.done) progress = this.advance(op, progress, window);
        return progress.reply;
      }
      case 'getLinkedPod':
        return this.live(op.uid, op.svc, window)?.pod ?? NO_POD;
      case 'getLinkedPodIfPersist': {
        const current = this.live(op.uid, op.svc, window);
        return current && current.expiry === null ? current.pod : NO_POD;
      }
      case 'batchGetLinkedPod': {
        const result: Record<number, string[]> = {};
        for (const uid of new Set(op.uids)) {
          const current = this.live(uid, op.svc, window);
          if (current) (result[current.pod] ??= []).push(uid);
        }
        return result;
      }
      case 'removeLinkedPod':
      case 'removeLinkedPodWithId': {
        const current = this.live(op.uid, op.svc, window);
        if (!current || (op.kind === 'removeLinkedPodWithId' && current.pod !== op.pod)) return false;
        if (op.linger > 0) current.expiry = this.expiry(op.linger, window);
        else this.links.delete(linkKey(op.uid, op.svc));
        return true;
      }
      case 'getLinkService': {
        const result: Record<string, number> = {};
        for (const svc of this.servicesOf(op.uid)) {
          const current = this.live(op.uid, svc, window);
          if (current) result[svc] = current.pod;
        }
        return result;
      }
      case 'setServiceState':
        this.statesOf(op.svc).set(op.pod, op.state);
        // A report answers a sweep that declared the pod silent: none runs here.
        return null;
      case 'getServiceState':
        return Object.fromEntries(this.states.get(op.svc) ?? []);
      case 'setWorkloadState':
        this.workloads.set(op.svc, op.state);
        return undefined;
      case 'getWorkloadState': {
        const result: Record<string, string> = {};
        for (const svc of op.svcs) if (this.workloads.has(svc)) result[svc] = this.workloads.get(svc) as string;
        return result;
      }
      case 'setPodWeight':
        this.weightsOf(op.svc).set(op.pod, op.weight);
        return null;
      case 'removePod':
        this.states.get(op.svc)?.delete(op.pod);
        this.weights.get(op.svc)?.delete(op.pod);
        return undefined;
    }
  }

  /**
   * Runs the next atomic part of a call. Every operation is one part (one script or command), except
   * computeLinkedPodIfAbsent: it reads the link (GET), picks a pod on the service's slot, links on the
   * uid's slot (if still absent), then adds 1 to the pod's weight if it still has a state; other calls
   * may run between these parts (SPEC makes it atomic per uid only).
   */
  advance(op: Op, progress: CallProgress, window: CallWindow): CallProgress {
    if (op.kind !== 'computeLinkedPodIfAbsent') return { part: 1, done: true, reply: this.apply(op, window) };
    switch (progress.part) {
      case 0: {
        const current = this.live(op.uid, op.svc, window);
        return current ? { part: 1, done: true, reply: current.pod } : { part: 1 };
      }
      case 1: {
        const chosen = this.pick(op.uid, op.svc, op.states ?? this.routableStates);
        return chosen === NO_POD ? { part: 2, done: true, reply: NO_POD } : { part: 2, chosen };
      }
      case 2: {
        const current = this.live(op.uid, op.svc, window);
        if (current) return { part: 3, done: true, reply: current.pod };
        this.write(op.uid, op.svc, progress.chosen as number, op.ttl, window);
        return { part: 3, chosen: progress.chosen };
      }
      default: {
        const pod = progress.chosen as number;
        if (this.states.get(op.svc)?.has(pod)) {
          this.weightsOf(op.svc).set(pod, (this.weights.get(op.svc)?.get(pod) ?? 0) + 1);
        }
        return { part: 4, done: true, reply: pod };
      }
    }
  }

  /** Whether the next part of the call writes (it may run twice: ioredis resends it after a lost connection). */
  static writesNext(op: Op, progress: CallProgress): boolean {
    if (op.kind === 'computeLinkedPodIfAbsent') return progress.part >= 2;
    return !READS.has(op.kind);
  }

  /** The routable pod with the lowest weight (no weight = 0), ties broken by rendezvous hashing of the uid. */
  private pick(uid: string, svc: string, states: string[]): number {
    const routable = new Set(states);
    const weights = this.weights.get(svc);
    let best: { pod: number; weight: number; score: string } | undefined;
    for (const [pod, state] of this.states.get(svc) ?? []) {
      if (!routable.has(state)) continue;
      const candidate = { pod, weight: weights?.get(pod) ?? 0, score: score(uid, pod) };
      const lighter = !best || candidate.weight < best.weight;
      if (lighter || (candidate.weight === best!.weight && candidate.score > best!.score)) best = candidate;
    }
    return best ? best.pod : NO_POD;
  }

  /**
   * Runs `action` on copies of this model, once per way the expiry ambiguities it meets can be
   * answered; returns every outcome. This model is left as it was.
   */
  explore<T>(action: (model: SpecModel) => T): Array<{ model: SpecModel; result: T }> {
    const outcomes: Array<{ model: SpecModel; result: T }> = [];
    const pending: boolean[][] = [[]];
    while (pending.length > 0) {
      const choices = pending.pop() as boolean[];
      const model = this.clone();
      model.choices = choices;
      model.choiceIndex = 0;
      try {
        const result = action(model);
        model.choices = [];
        outcomes.push({ model, result });
      } catch (error) {
        if (!(error instanceof NeedsChoice)) throw error;
        if (choices.length >= MAX_CHOICES) {
          throw new Inconclusive(`more than ${MAX_CHOICES} expiry ambiguities in one call`);
        }
        pending.push([...choices, true], [...choices, false]);
      }
    }
    return outcomes;
  }

  /** What must be in Redis for this model at a read within `window` (see `checkStorage`). */
  expectedStorage(window: CallWindow): ExpectedStorage {
    const uids = new Map<string, Map<string, { pod: number; persistent: boolean }>>();
    for (const key of [...this.links.keys()]) {
      const [uid, svc] = key.split('\u0000');
      const current = this.live(uid, svc, window);
      if (!current) continue;
      if (!uids.has(uid)) uids.set(uid, new Map());
      uids.get(uid)!.set(svc, { pod: current.pod, persistent: current.expiry === null });
    }
    const nonEmpty = <T>(map: Map<string, Map<number, T>>) =>
      new Map(
        [...map]
          .filter(([, pods]) => pods.size > 0)
          .map(([svc, pods]) => [svc, Object.fromEntries([...pods].map(([pod, v]) => [pod, String(v)]))]),
      );
    return { uids, states: nonEmpty(this.states), weights: nonEmpty(this.weights), workloads: new Map(this.workloads) };
  }

  /** The link if it is live when Redis ran a call within `window`; drops it once surely expired. */
  private live(uid: string, svc: string, window: CallWindow): Link | undefined {
    const key = linkKey(uid, svc);
    const link = this.links.get(key);
    if (!link || link.expiry === null) return link;
    if (window.end + SLACK_MS <= link.expiry.earliest) return link;
    if (window.start > link.expiry.latest + SLACK_MS) {
      this.links.delete(key);
      return undefined;
    }
    // Either answer is right; each narrows what is known of the expiry instant.
    if (this.choose()) {
      link.expiry.earliest = Math.max(link.expiry.earliest, window.start - SLACK_MS);
      return link;
    }
    link.expiry.latest = Math.min(link.expiry.latest, window.end + SLACK_MS);
    this.links.delete(key);
    return undefined;
  }

  private choose(): boolean {
    if (this.choiceIndex < this.choices.length) return this.choices[this.choiceIndex++];
    throw new NeedsChoice();
  }

  private write(uid: string, svc: string, pod: number, ttl: number, window: CallWindow): void {
    this.links.set(linkKey(uid, svc), { pod, expiry: ttl > 0 ? this.expiry(ttl, window) : null });
  }

  private expiry(seconds: number, window: CallWindow): Link['expiry'] {
    return { earliest: window.start + seconds * 1000, latest: window.end + seconds * 1000 };
  }

  private servicesOf(uid: string): string[] {
    return [...this.links.keys()].filter((key) => key.startsWith(`${uid}\u0000`)).map((key) => key.split('\u0000')[1]);
  }

  private statesOf(svc: string): Map<number, string> {
    if (!this.states.has(svc)) this.states.set(svc, new Map());
    return this.states.get(svc)!;
  }

  private weightsOf(svc: string): Map<number, number> {
    if (!this.weights.has(svc)) this.weights.set(svc, new Map());
    return this.weights.get(svc)!;
  }
}

const READS = new Set<Op['kind']>([
  'getLinkedPod',
  'getLinkedPodIfPersist',
  'batchGetLinkedPod',
  'getLinkService',
  'getServiceState',
  'getWorkloadState',
]);

/** Whether the operation only reads. */
export function isRead(op: Op): boolean {
  return READS.has(op.kind);
}

/** How far a call has run in the model: the next part, the pod it picked, and its reply once done. */
export interface CallProgress {
  part: number;
  chosen?: number;
  done?: boolean;
  reply?: unknown;
}

function linkKey(uid: string, svc: string): string {
  return `${uid}\u0000${svc}`;
}

export interface ExpectedStorage {
  /** uid → svc → live link. */
  uids: Map<string, Map<string, { pod: number; persistent: boolean }>>;
  /** svc → pod → state / weight (as Redis stores them). */
  states: Map<string, Record<string, string>>;
  weights: Map<string, Record<string, string>>;
  workloads: Map<string, string>;
}
