import calculateSlot = require('cluster-key-slot');
import type { RedisClient } from './redis-connection';

/** Keys per step: bounds the memory of one step however many keys are asked for. */
const KEYS_PER_STEP = 2_000;

/** Sequential round trips `readMany` makes for `count` keys: a call's deadline grows with it. */
export function readManySteps(count: number): number {
  return Math.max(1, Math.ceil(count / KEYS_PER_STEP));
}

type Mget<V> = (client: RedisClient, keys: string[]) => Promise<Array<V | null>>;

/**
 * `GET` of many keys with `MGET`s, one step of keys at a time. On a cluster the keys of a step
 * are grouped by slot, since one `MGET` (like any multi-key command) must stay in one slot.
 */
export function readMany(client: RedisClient, keys: string[]): Promise<Array<string | null>> {
  return readManyWith(client, keys, (node, step) => node.mget(step));
}

/** As `readMany`, with the values as Buffers: no string is made for a value the caller only parses. */
export function readManyBuffers(client: RedisClient, keys: string[]): Promise<Array<Buffer | null>> {
  return readManyWith(client, keys, (node, step) => node.mgetBuffer(step));
}

async function readManyWith<V>(client: RedisClient, keys: string[], mget: Mget<V>): Promise<Array<V | null>> {
  // One step on one node: the reply is the answer, no copying.
  if (!client.isCluster && keys.length <= KEYS_PER_STEP) return mget(client, keys);
  const values = new Array<V | null>(keys.length);
  for (let start = 0; start < keys.length; start += KEYS_PER_STEP) {
    const end = Math.min(start + KEYS_PER_STEP, keys.length);
    if (!client.isCluster) {
      const replies = await mget(client, keys.slice(start, end));
      for (let i = start; i < end; i++) values[i] = replies[i - start];
      continue;
    }
    const indexesBySlot = new Map<number, number[]>();
    for (let i = start; i < end; i++) {
      const slot = calculateSlot(keys[i]);
      const indexes = indexesBySlot.get(slot);
      if (indexes) indexes.push(i);
      else indexesBySlot.set(slot, [i]);
    }
    await Promise.all(
      [...indexesBySlot.values()].map(async (indexes) => {
        const replies = await mget(
          client,
          indexes.map((i) => keys[i]),
        );
        indexes.forEach((keyIndex, replyIndex) => (values[keyIndex] = replies[replyIndex]));
      }),
    );
  }
  return values;
}
