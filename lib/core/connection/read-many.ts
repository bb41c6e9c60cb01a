import calculateSlot = require('cluster-key-slot');
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-connection';

/** Keys per step on a single node, and per step of keys read through the cluster client's own routing. */
const KEYS_PER_STEP = 2_000;
/** Keys per `MGET` on a cluster node: a slot holding more keys (repeats of one uid) gets several. */
const KEYS_PER_MGET = 2_000;
/** Keys per pipeline on a cluster node: bounds the memory of one pipeline however many keys are asked for. */
const KEYS_PER_PIPELINE = 10_000;
/** Pipelines awaiting their replies at once on a cluster, at most one per node. */
const PIPELINES_IN_FLIGHT = 8;

/** Sequential round trips `readMany` makes for `count` keys: a call's deadline grows with it. */
export function readManySteps(count: number): number {
  return Math.max(1, Math.ceil(count / KEYS_PER_STEP));
}

/** How values of one type are read: a client's `MGET`, a queued `MGET` in a pipeline, one `GET`. */
interface ValueReader<V> {
  mget(client: RedisClient, keys: string[]): Promise<Array<V | null>>;
  queueMget(pipeline: ChainableCommander, keys: string[]): void;
  get(client: RedisClient, key: string): Promise<V | null>;
}

const STRINGS: ValueReader<string> = {
  mget: (client, keys) => client.mget(keys),
  queueMget: (pipeline, keys) => void pipeline.mget(keys),
  get: (client, key) => client.get(key),
};

const BUFFERS: ValueReader<Buffer> = {
  mget: (client, keys) => client.mgetBuffer(keys),
  queueMget: (pipeline, keys) => void pipeline.mgetBuffer(keys),
  get: (client, key) => client.getBuffer(key),
};

/**
 * `GET` of many keys. On one node: `MGET`s, one step of keys at a time. On a cluster: the keys are grouped
 * by slot (one `MGET` must stay in one slot) and the slots by master, and each master gets its `MGET`s in
 * pipelines on its own connection; what a master does not answer (MOVED, ASK, TRYAGAIN during a reshard,
 * a lost connection) is read again key by key through the cluster client, which follows redirections.
 */
export function readMany(client: RedisClient, keys: string[]): Promise<Array<string | null>> {
  return readManyWith(client, keys, STRINGS);
}

/** As `readMany`, with the values as Buffers: no string is made for a value the caller only parses. */
export function readManyBuffers(client: RedisClient, keys: string[]): Promise<Array<Buffer | null>> {
  return readManyWith(client, keys, BUFFERS);
}

async function readManyWith<V>(client: RedisClient, keys: string[], reader: ValueReader<V>): Promise<Array<V | null>> {
  if (client.isCluster) return readFromCluster(client as Cluster, keys, reader);
  // One step: the reply is the answer, no copying.
  if (keys.length <= KEYS_PER_STEP) return reader.mget(client, keys);
  const values = new Array<V | null>(keys.length);
  for (let start = 0; start < keys.length; start += KEYS_PER_STEP) {
    const end = Math.min(start + KEYS_PER_STEP, keys.length);
    const replies = await reader.mget(client, keys.slice(start, end));
    for (let i = start; i < end; i++) values[i] = replies[i - start];
  }
  return values;
}

/** Replies by which a node declines a slot's keys for now, or for good: the cluster client's routing knows better. */
const REDIRECTION = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|MASTERDOWN) /;

/**
 * Whether a failed `MGET` is read again through the cluster's routing: a redirection or a lost connection, not a
 * refusal.
 */
function isRoutable(error: Error): boolean {
  return error.name !== 'ReplyError' || REDIRECTION.test(error.message);
}

/** The `MGET`s one master is sent: each a list of indexes into the keys, all in one slot. */
interface NodeWork {
  node: Redis;
  /** What is put before each key sent on the node's connection (the cluster's key prefix, if the node lacks it). */
  keyHead: string;
  groups: number[][];
}

async function readFromCluster<V>(cluster: Cluster, keys: string[], reader: ValueReader<V>): Promise<Array<V | null>> {
  const values = new Array<V | null>(keys.length);
  // ioredis puts its `keyPrefix` before every key it sends: the slot is the prefixed key's.
  const prefix = String(cluster.options.keyPrefix ?? '');
  const bySlot = new Map<number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const slot = calculateSlot(prefix + keys[i]);
    const indexes = bySlot.get(slot);
    if (indexes) indexes.push(i);
    else bySlot.set(slot, [i]);
  }
  /** Keys read one by one through the cluster client: slots of no known ready master, and what a master refused. */
  const routed: number[] = [];
  const work = workByMaster(cluster, prefix, bySlot, routed);
  const pending = [...work.values()];
  const readNodes = async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      await readOnNode(next, keys, values, reader, routed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PIPELINES_IN_FLIGHT, pending.length) }, readNodes));
  for (let start = 0; start < routed.length; start += KEYS_PER_STEP) {
    const step = routed.slice(start, start + KEYS_PER_STEP);
    const replies = await Promise.all(step.map((index) => reader.get(cluster, keys[index])));
    step.forEach((index, reply) => (values[index] = replies[reply]));
  }
  return values;
}

/** The slot groups of each ready master, as the cluster client's slot map places them; the rest go to `routed`. */
function workByMaster(
  cluster: Cluster,
  prefix: string,
  bySlot: Map<number, number[]>,
  routed: number[],
): Map<string, NodeWork> {
  const work = new Map<string, NodeWork>();
  if (cluster.status !== 'ready') {
    for (const indexes of bySlot.values()) routed.push(...indexes);
    return work;
  }
  const masters = new Map<string, Redis>();
  for (const node of cluster.nodes('master')) masters.set(`${node.options.host}:${node.options.port}`, node);
  for (const [slot, indexes] of bySlot) {
    const nodeKey = cluster.slots[slot]?.[0];
    let nodeWork = nodeKey === undefined ? undefined : work.get(nodeKey);
    if (nodeWork === undefined && nodeKey !== undefined) {
      const node = masters.get(nodeKey);
      const nodePrefix = String(node?.options.keyPrefix ?? '');
      // A node of its own prefix other than the cluster's would change the keys: such slots go through the cluster.
      if (node !== undefined && node.status === 'ready' && (nodePrefix === prefix || nodePrefix === '')) {
        nodeWork = { node, keyHead: nodePrefix === prefix ? '' : prefix, groups: [] };
        work.set(nodeKey, nodeWork);
      }
    }
    if (nodeWork === undefined) {
      for (const index of indexes) routed.push(index);
    } else if (indexes.length <= KEYS_PER_MGET) {
      nodeWork.groups.push(indexes);
    } else {
      for (let start = 0; start < indexes.length; start += KEYS_PER_MGET)
        nodeWork.groups.push(indexes.slice(start, start + KEYS_PER_MGET));
    }
  }
  return work;
}

/** One master's `MGET`s, a pipeline of at most `KEYS_PER_PIPELINE` keys at a time; refused ones go to `routed`. */
async function readOnNode<V>(
  work: NodeWork,
  keys: string[],
  values: Array<V | null>,
  reader: ValueReader<V>,
  routed: number[],
): Promise<void> {
  const { node, keyHead, groups } = work;
  for (let first = 0; first < groups.length;) {
    const pipeline = node.pipeline();
    let last = first;
    for (let keysInPipeline = 0; last < groups.length && keysInPipeline < KEYS_PER_PIPELINE; last++) {
      const group = groups[last];
      reader.queueMget(
        pipeline,
        group.map((index) => keyHead + keys[index]),
      );
      keysInPipeline += group.length;
    }
    let replies: Array<[Error | null, unknown]> | null = null;
    try {
      replies = await pipeline.exec();
    } catch {
      // The whole pipeline failed (its connection went away): every key of it goes through the cluster.
    }
    for (let g = first; g < last; g++) {
      const group = groups[g];
      const reply = replies?.[g - first];
      if (!reply || reply[0] !== null) {
        // MOVED, ASK or TRYAGAIN (a slot moving or moved), CLUSTERDOWN, a closed connection: never a guess.
        if (reply?.[0] && !isRoutable(reply[0])) throw reply[0];
        for (const index of group) routed.push(index);
        continue;
      }
      const groupValues = reply[1] as Array<V | null>;
      for (let k = 0; k < group.length; k++) values[group[k]] = groupValues[k];
    }
    first = last;
  }
}
