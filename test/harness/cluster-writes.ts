import calculateSlot = require('cluster-key-slot');
import type { Cluster } from 'ioredis';
import type { StatefulExecutorService } from '../../lib';

/** The module's own cluster client, to watch what it sends. */
export function clusterClientOf(service: StatefulExecutorService): Cluster {
  return (service as unknown as { connection: { client: Cluster } }).connection.client;
}

/** Writes the entries with one-slot MSETs, a few hundred slots at a time, as fast as the cluster takes them. */
export async function writeBySlot(raw: Cluster, entries: Array<[string, string]>): Promise<void> {
  const bySlot = new Map<number, string[]>();
  for (const [key, value] of entries) {
    const slot = calculateSlot(key);
    let list = bySlot.get(slot);
    if (!list) bySlot.set(slot, (list = []));
    list.push(key, value);
  }
  const groups = [...bySlot.values()];
  for (let i = 0; i < groups.length; i += 500)
    await Promise.all(groups.slice(i, i + 500).map((group) => raw.mset(...group)));
}
