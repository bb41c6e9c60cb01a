import calculateSlot = require('cluster-key-slot');
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_POD, type StatefulExecutorService } from '../../../lib';
import { ClusterTarget } from '../../harness/cluster-target';
import { clusterClientOf, writeBySlot } from '../../harness/cluster-writes';
import { mulberry32 } from '../../harness/prng';
import type { RedisServer } from '../../harness/redis-server';
import { useTargetFixture } from '../../harness/target-fixture';

const NS = 'bread';
const SVC = 'svc';
const linkKey = (uid: string) => `sf:{${NS}:lk:${uid}}${SVC}`;
const workloadKey = (service: string) => `sf:{${NS}:workload:${service}}`;

/** What `batchGetLinkedPod` must answer, from one `getLinkedPod` per distinct uid. */
async function expectedBatch(service: StatefulExecutorService, uids: string[]): Promise<Record<number, string[]>> {
  const distinct = [...new Set(uids)];
  const pods: number[] = [];
  for (let i = 0; i < distinct.length; i += 1_000)
    pods.push(...(await Promise.all(distinct.slice(i, i + 1_000).map((uid) => service.getLinkedPod(NS, uid, SVC)))));
  const expected: Record<number, string[]> = {};
  distinct.forEach((uid, i) => {
    if (pods[i] !== NO_POD) (expected[pods[i]] ??= []).push(uid);
  });
  return expected;
}

interface NodeWatch {
  /** Pipelines sent per master port. */
  pipelines: Map<number, number>;
  /** Keys of each MGET sent on a master's connection. */
  mgets: string[][];
  /** Most keys awaiting a reply on the masters' connections at once. */
  maxKeysInFlight: number;
  /** Reads that went through the cluster client's own routing. */
  routed: number;
  restore(): void;
}

/** Watches the pipelines sent on each master's own connection and the reads sent through the cluster client. */
function watchReads(client: Cluster): NodeWatch {
  const watch: NodeWatch = { pipelines: new Map(), mgets: [], maxKeysInFlight: 0, routed: 0, restore: () => {} };
  const restores: Array<() => void> = [];
  let inFlight = 0;
  for (const node of client.nodes('master')) {
    const pipeline = node.pipeline;
    const port = Number(node.options.port);
    node.pipeline = function (this: Redis, ...args: Parameters<Redis['pipeline']>) {
      const created: ChainableCommander = pipeline.apply(this, args);
      let keys = 0;
      for (const method of ['mget', 'mgetBuffer'] as const) {
        const queue = created[method] as (...a: unknown[]) => ChainableCommander;
        (created[method] as unknown) = (...a: unknown[]) => {
          const list = (Array.isArray(a[0]) ? a[0] : a) as string[];
          watch.mgets.push(list);
          keys += list.length;
          return queue.apply(created, a);
        };
      }
      const exec = created.exec;
      created.exec = async (...a: Parameters<typeof exec>) => {
        watch.pipelines.set(port, (watch.pipelines.get(port) ?? 0) + 1);
        inFlight += keys;
        watch.maxKeysInFlight = Math.max(watch.maxKeysInFlight, inFlight);
        try {
          return await exec.apply(created, a);
        } finally {
          inFlight -= keys;
        }
      };
      return created;
    } as Redis['pipeline'];
    restores.push(() => (node.pipeline = pipeline));
  }
  for (const method of ['get', 'getBuffer', 'mget', 'mgetBuffer'] as const) {
    const original = client[method];
    (client[method] as unknown) = (...a: unknown[]) => {
      watch.routed++;
      return (original as (...b: unknown[]) => unknown).apply(client, a);
    };
    restores.push(() => ((client[method] as unknown) = original));
  }
  watch.restore = () => restores.forEach((restore) => restore());
  return watch;
}

/** `count` uids whose link keys all live in `slot`. */
function uidsInSlot(slot: number, count: number, head: string): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++)
    if (calculateSlot(linkKey(`${head}${i}`)) === slot) found.push(`${head}${i}`);
  return found;
}

describe('Cluster batch reads: one pipeline per master, redirections followed', () => {
  const target = new ClusterTarget();
  const f = useTargetFixture(target);

  it('batchGetLinkedPod equals getLinkedPod uid by uid for random uids with repeats, missing and corrupt links', async () => {
    const next = mulberry32(11);
    const pool = Array.from({ length: 20_000 }, (_, i) => `r-${i}`);
    const entries: Array<[string, string]> = [];
    for (const uid of pool) {
      const draw = next();
      if (draw < 0.6) entries.push([linkKey(uid), String(Math.floor(next() * 9))]);
      else if (draw < 0.61) entries.push([linkKey(uid), next() < 0.5 ? 'not-a-pod' : '-3']);
    }
    await writeBySlot(f.raw as Cluster, entries);
    // Repeats drawn from the pool, and uids never written.
    const uids = Array.from({ length: 30_000 }, () =>
      next() < 0.98 ? pool[Math.floor(next() * pool.length)] : `absent-${Math.floor(next() * 500)}`,
    );
    const slots = new Set(uids.map((uid) => calculateSlot(linkKey(uid))));
    assert.ok(slots.size > 9_000, `only ${slots.size} slots`);

    const client = clusterClientOf(f.service);
    const watch = watchReads(client);
    let result: Record<number, string[]>;
    try {
      result = await f.service.batchGetLinkedPod(NS, uids, SVC);
    } finally {
      watch.restore();
    }
    assert.deepEqual(result, await expectedBatch(f.service, uids));
    // Each master got its MGETs on its own connection, one slot per MGET, nothing through the cluster's routing.
    assert.equal(watch.pipelines.size, 3, 'every master gets a pipeline');
    assert.equal(watch.routed, 0, 'no read went through the cluster client');
    assert.equal(watch.mgets.length, slots.size, 'one MGET per slot');
    const crossSlot = watch.mgets.filter((keys) => new Set(keys.map((key) => calculateSlot(key))).size > 1);
    assert.deepEqual(crossSlot.slice(0, 3), []);
    assert.ok(watch.maxKeysInFlight <= 30_000);
  });

  it('getWorkloadState equals the stored states for many services over every master', async () => {
    const next = mulberry32(5);
    const services = Array.from({ length: 12_000 }, (_, i) => `service-${i}`);
    const written = services.filter(() => next() < 0.4).map((s): [string, string] => [workloadKey(s), `state-${s}`]);
    await writeBySlot(f.raw as Cluster, written);
    const watch = watchReads(clusterClientOf(f.service));
    let states: Record<string, string>;
    try {
      states = await f.service.getWorkloadState(NS, [...services, 'service-3', 'nobody']);
    } finally {
      watch.restore();
    }
    assert.deepEqual(
      states,
      Object.fromEntries(written.map(([key, value]) => [/workload:(.*)\}$/.exec(key)![1], value])),
    );
    assert.equal(watch.pipelines.size, 3);
    assert.equal(watch.routed, 0);
  });

  it('a slot holding many keys (one uid repeated) is read with bounded MGETs and answered once', async () => {
    await f.service.setLinkedPod(NS, 'many', SVC, 4, -1);
    await f.service.setLinkedPod(NS, 'other', SVC, 5, -1);
    const uids = [...Array(9_000).fill('many'), 'other', 'none', 'many'];
    const watch = watchReads(clusterClientOf(f.service));
    let result: Record<number, string[]>;
    try {
      result = await f.service.batchGetLinkedPod(NS, uids, SVC);
    } finally {
      watch.restore();
    }
    assert.deepEqual(result, { 4: ['many'], 5: ['other'] });
    assert.ok(Math.max(...watch.mgets.map((keys) => keys.length)) <= 2_000, 'an MGET of more than 2 000 keys');
  });

  it('answers right while a slot migrates (TRYAGAIN, ASK) and after it moved (MOVED), through the cluster routing', async () => {
    const client = clusterClientOf(f.service);
    const raw = f.raw as Cluster;
    const slot = calculateSlot(linkKey('mig-0'));
    const inSlot = uidsInSlot(slot, 40, 'mig-');
    const others = Array.from({ length: 5_000 }, (_, i) => `o-${i}`);
    const entries: Array<[string, string]> = [];
    // Two of three uids of the slot linked; the third never: a MGET there always meets a missing key.
    inSlot.forEach((uid, i) => i % 3 !== 2 && entries.push([linkKey(uid), String(i % 4)]));
    others.forEach((uid, i) => i % 2 === 0 && entries.push([linkKey(uid), String(i % 6)]));
    await writeBySlot(raw, entries);
    const uids = [...others.slice(0, 2_500), ...inSlot, ...inSlot.slice(0, 5), ...others.slice(2_500)];
    const expected = await expectedBatch(f.service, uids);
    assert.ok(expected[0].length > 10);

    const from = await target.cluster.ownerOf(slot);
    const to = (await target.cluster.masters()).find((master: RedisServer) => master !== from) as RedisServer;
    const check = async (stage: string, routedExpected: boolean) => {
      const watch = watchReads(client);
      try {
        assert.deepEqual(await f.service.batchGetLinkedPod(NS, uids, SVC), expected, stage);
      } finally {
        watch.restore();
      }
      if (routedExpected) assert.ok(watch.routed > 0, `${stage}: the slot's keys should have gone through the cluster`);
    };
    await check('before the move', false);
    await target.cluster.beginSlotMigration(slot, to);
    const keysOnSource = entries.map(([key]) => key).filter((key) => calculateSlot(key) === slot);
    // Half the keys moved: the source answers TRYAGAIN to an MGET of the slot.
    await target.cluster.migrateKeys(from, to, keysOnSource.slice(0, keysOnSource.length >> 1));
    await check('half the keys moved', true);
    // Every key moved: the source answers ASK.
    await target.cluster.migrateKeys(from, to, keysOnSource.slice(keysOnSource.length >> 1));
    await check('every key moved, slot still migrating', true);
    // The move is done; the module's slot map is stale until a MOVED reply.
    await target.cluster.finishSlotMigration(slot, from, to);
    await check('after the move', true);
    await check('after the slot map refreshed', false);
  });

  it('answers right in every call while a slot moves key by key under it', async () => {
    const slot = calculateSlot(linkKey('walk-0'));
    const inSlot = uidsInSlot(slot, 60, 'walk-');
    const entries: Array<[string, string]> = inSlot
      .filter((_, i) => i % 4 !== 3)
      .map((uid, i): [string, string] => [linkKey(uid), String(i % 3)]);
    const others = Array.from({ length: 3_000 }, (_, i) => `w-${i}`);
    others.forEach((uid, i) => i % 3 === 0 && entries.push([linkKey(uid), String(i % 5)]));
    await writeBySlot(f.raw as Cluster, entries);
    const uids = [...inSlot, ...others];
    const expected = await expectedBatch(f.service, uids);
    const from = await target.cluster.ownerOf(slot);
    const to = (await target.cluster.masters()).find((master: RedisServer) => master !== from) as RedisServer;
    let moving = true;
    const move = target.cluster.migrateSlot(slot, to, { keysPerBatch: 1, pauseMs: 5 }).finally(() => (moving = false));
    let calls = 0;
    while (moving || calls < 3) {
      assert.deepEqual(await f.service.batchGetLinkedPod(NS, uids, SVC), expected, `call ${calls}`);
      calls++;
    }
    await move;
    assert.ok(calls >= 3);
  });
});
