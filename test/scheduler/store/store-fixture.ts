import type { Cluster, Redis } from 'ioredis';
import { after, before, beforeEach } from 'node:test';
import { ScriptRunner } from '../../../lib/core/scripts/script-runner';
import type { ClaimDecision, ClaimedRun, DueCandidate } from '../../../lib/scheduler/store/scheduler-store.interface';
import { SchedulerStore } from '../../../lib/scheduler/store/scheduler-store';
import type { StoredTaskDefinition } from '../../../lib/scheduler/store/stored-task.interface';
import type { RedisTarget } from '../../harness/redis-target';

export const PREFIX = 'sf';
export const NAMESPACE = 'store';
/** KEYS[1] of every scheduler script of the namespace. */
export const BASE = `${PREFIX}:{${NAMESPACE}:sched}`;
export const WORKFLOW = 'export';
export const HISTORY = 20;

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

export interface StoreFixture {
  /** This replica's store. */
  readonly store: SchedulerStore;
  /** Another replica's store, on a connection of its own. */
  readonly other: SchedulerStore;
  /** A plain client, for looking at the keys. */
  readonly raw: Redis | Cluster;
  readonly target: RedisTarget;
  /** Creates a task due `agoMs` ago (Redis time); returns its fire time. */
  dueTask(id: string, overrides?: Partial<StoredTaskDefinition>, agoMs?: number): Promise<number>;
  /** Peeks and claims the due fires of `workflow`, each on time with its next fire `nextRunAt(fireTime)`. */
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

async function storeOn(client: Redis | Cluster): Promise<SchedulerStore> {
  await whenReady(client);
  const scripts = new ScriptRunner(client);
  scripts.register(SchedulerStore.SCRIPTS);
  await scripts.preload();
  return new SchedulerStore(scripts, client, PREFIX, NAMESPACE);
}

/** Starts the target, two stores (two replicas) and a raw client on it; empties Redis before each test. */
export function useStoreFixture(target: RedisTarget): StoreFixture {
  const clients: Array<Redis | Cluster> = [];
  let store: SchedulerStore;
  let other: SchedulerStore;
  before(async () => {
    await target.start();
    for (let i = 0; i < 3; i++) clients.push(target.rawClient());
    store = await storeOn(clients[0]);
    other = await storeOn(clients[1]);
    await whenReady(clients[2]);
  });
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
    async dueTask(id, overrides = {}, agoMs = 10) {
      const fireTime = (await store.now()) - agoMs;
      await store.saveTask(definition(id, overrides), fireTime, fireTime, 'create');
      return fireTime;
    },
    async claimDue(on, options = {}) {
      const {
        instanceId = 'replica-a',
        leaseMs = 30_000,
        maxClaims = 10,
        nextRunAt = (fireTime: number) => fireTime + 60_000,
      } = options;
      const peek = await on.peek(instanceId, [WORKFLOW], maxClaims, HISTORY);
      const decisions = peek.candidates.map((candidate) => onTime(candidate, nextRunAt(candidate.fireTime)));
      return on.claim(instanceId, [WORKFLOW], maxClaims, leaseMs, HISTORY, decisions);
    },
  };
}
