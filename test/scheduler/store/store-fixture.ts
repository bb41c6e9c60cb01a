import type { Cluster, Redis } from 'ioredis';
import { after, before, beforeEach } from 'node:test';
import { ScriptRunner } from '../../../lib/core/scripts/script-runner';
import type { ClaimDecision, ClaimedRun, DueCandidate } from '../../../lib/scheduler/store/scheduler-store.interface';
import { SchedulerStore, type SchedulerStoreOptions } from '../../../lib/scheduler/store/scheduler-store';
import type { StoredTaskDefinition } from '../../../lib/scheduler/store/stored-task.interface';
import type { RedisTarget } from '../../harness/redis-target';

const PREFIX = 'sf';
export const NAMESPACE = 'store';
/** KEYS[1] of every scheduler script of the namespace. */
export const BASE = `${PREFIX}:{${NAMESPACE}:sched}`;
export const WORKFLOW = 'export';
const HISTORY = 20;

/** A valid definition with the SCHEDULER.md defaults, on workflow `export`. */
export function definition(id: string, overrides: Partial<StoredTaskDefinition> = {}): StoredTaskDefinition {
  return {
    id,
    name: id,
    cron: '* * * * *',
    timeZone: 'UTC',
    workflow: WORKFLOW,
    payload: null,
    enabled: true,
    source: 'api',
    overlap: 'skip',
    misfire: 'runOnce',
    misfireGraceMs: 60_000,
    retry: { attempts: 3, backoffMs: 1_000 },
    maxConsecutiveFailures: 3,
    jitterMs: 0,
    leaseMs: null,
    ...overrides,
  };
}

/** The on-time decision for a candidate: run its fire, next fire `nextRunAt` (default a minute later). */
export function onTime(candidate: DueCandidate, nextRunAt: number | null = candidate.fireTime + 60_000): ClaimDecision {
  return {
    taskId: candidate.task.id,
    expectedFireTime: candidate.fireTime,
    version: candidate.task.version,
    runAt: candidate.fireTime,
    missed: [],
    nextRunAt,
    nextDueScore: nextRunAt,
  };
}

/** The on-time decision for a candidate, with the due score a claim ahead starts it at (no jitter here). */
export function ahead(candidate: DueCandidate): ClaimDecision {
  return { ...onTime(candidate), dueAt: candidate.fireTime };
}

/** What a replica's store is given beyond its instance id (see `SchedulerStoreOptions`). */
interface ReplicaSettings {
  /** The store whose connection it uses: `store` (default) or `other`. */
  on?: SchedulerStore;
  /** Default `HISTORY`. */
  historyLength?: number;
  /** Default 0: no fire is looked at or claimed ahead. */
  lookAheadMs?: number;
}

export interface StoreFixture {
  /** This replica's store (instance `replica-a`). */
  readonly store: SchedulerStore;
  /** Another replica's store (instance `replica-b`), on a connection of its own. */
  readonly other: SchedulerStore;
  /** A plain client, for looking at the keys. */
  readonly raw: Redis | Cluster;
  readonly target: RedisTarget;
  /**
   * The store of replica `instanceId` on the connection of `settings.on`: one per instance id and settings, kept
   * for the fixture's life (as a replica keeps its store).
   */
  replica(instanceId: string, settings?: ReplicaSettings): SchedulerStore;
  /** Creates a task due `agoMs` ago (Redis time); returns its fire time. */
  dueTask(id: string, overrides?: Partial<StoredTaskDefinition>, agoMs?: number): Promise<number>;
  /**
   * Peeks and claims, as replica `instanceId` (default `replica-a`) on the connection of `store`, the due fires of
   * `workflow`, each on time with its next fire `nextRunAt(fireTime)`.
   */
  claimDue(
    store: SchedulerStore,
    options?: {
      instanceId?: string;
      leaseMs?: number;
      maxClaims?: number;
      nextRunAt?: (fireTime: number) => number | null;
    },
  ): Promise<ClaimedRun[]>;
}

function whenReady(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the test client did not get ready within 10 s')), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The options of replica `instanceId`'s store: `HISTORY`, no look-ahead unless `settings` say otherwise. */
function replicaOptions(
  instanceId: string,
  settings: Omit<ReplicaSettings, 'on'> = {},
): { instanceId: string; historyLength: number; lookAheadMs: number } {
  return { instanceId, historyLength: settings.historyLength ?? HISTORY, lookAheadMs: settings.lookAheadMs ?? 0 };
}

/** A store with a script runner of its own on `client` (its scripts registered, not preloaded), as `instanceId`. */
export function freshStore(
  client: Redis | Cluster,
  instanceId: string,
  options: Omit<SchedulerStoreOptions, keyof ReturnType<typeof replicaOptions>> = {},
): SchedulerStore {
  const scripts = new ScriptRunner(client).register(SchedulerStore.SCRIPTS);
  return new SchedulerStore(scripts, client, PREFIX, NAMESPACE, { ...replicaOptions(instanceId), ...options });
}

interface Connection {
  client: Redis | Cluster;
  scripts: ScriptRunner;
}

async function connect(client: Redis | Cluster): Promise<Connection> {
  await whenReady(client);
  const scripts = new ScriptRunner(client);
  scripts.register(SchedulerStore.SCRIPTS);
  await scripts.preload();
  return { client, scripts };
}

function storeOn({ client, scripts }: Connection, instanceId: string, settings: ReplicaSettings = {}): SchedulerStore {
  return new SchedulerStore(scripts, client, PREFIX, NAMESPACE, replicaOptions(instanceId, settings));
}

/** Starts the target, two stores (two replicas) and a raw client on it; empties Redis before each test. */
export function useStoreFixture(target: RedisTarget): StoreFixture {
  const clients: Array<Redis | Cluster> = [];
  const connections = new Map<SchedulerStore, Connection>();
  const replicas = new Map<string, SchedulerStore>();
  let store: SchedulerStore;
  let other: SchedulerStore;
  before(async () => {
    await target.start();
    for (let i = 0; i < 3; i++) clients.push(target.rawClient());
    const [first, second] = [await connect(clients[0]), await connect(clients[1])];
    store = storeOn(first, 'replica-a');
    other = storeOn(second, 'replica-b');
    connections.set(store, first).set(other, second);
    replicas.set(`${String(false)}|replica-a|${HISTORY}|0`, store).set(`${String(true)}|replica-b|${HISTORY}|0`, other);
    await whenReady(clients[2]);
  });
  const replica = (instanceId: string, settings: ReplicaSettings = {}): SchedulerStore => {
    const on = settings.on ?? store;
    const { historyLength, lookAheadMs } = replicaOptions(instanceId, settings);
    const key = `${String(on === other)}|${instanceId}|${historyLength}|${lookAheadMs}`;
    let found = replicas.get(key);
    if (found === undefined) {
      found = storeOn(connections.get(on) as Connection, instanceId, settings);
      replicas.set(key, found);
    }
    return found;
  };
  beforeEach(() => target.flush());
  after(async () => {
    for (const client of clients) client.disconnect();
    await target.stop();
  });
  return {
    get store() {
      return store;
    },
    get other() {
      return other;
    },
    get raw() {
      return clients[2];
    },
    target,
    replica,
    async dueTask(id, overrides = {}, agoMs = 10) {
      const fireTime = (await store.now()) - agoMs;
      await store.saveTask({
        definition: definition(id, overrides),
        nextRunAt: fireTime,
        dueScore: fireTime,
        mode: 'create',
      });
      return fireTime;
    },
    async claimDue(on, options = {}) {
      const {
        instanceId = 'replica-a',
        leaseMs = 30_000,
        maxClaims = 10,
        nextRunAt = (fireTime: number) => fireTime + 60_000,
      } = options;
      const as = replica(instanceId, { on });
      const peek = await as.peek({ workflows: [WORKFLOW], limit: maxClaims });
      const decisions = peek.candidates.map((candidate) => onTime(candidate, nextRunAt(candidate.fireTime)));
      return as.claim({ workflows: [WORKFLOW], maxClaims, defaultLeaseMs: leaseMs, decisions });
    },
  };
}
