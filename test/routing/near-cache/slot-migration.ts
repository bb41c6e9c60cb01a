import { Redis } from 'ioredis';
import type { RedisCluster } from '../../harness/redis-cluster';

/** `[start, end, [host, port, id], ...replicas]` rows of `CLUSTER SLOTS`. */
type SlotRange = [number, number, [string, number, string], ...unknown[]];

export interface SlotMove {
  from: string;
  to: string;
}

/**
 * Moves one slot to another master the way `redis-cli --cluster reshard` does: IMPORTING on the
 * target, MIGRATING on the source, MIGRATE of every key it holds, then SETSLOT NODE on every master.
 * Returns the `host:port` of the old and the new owner.
 */
export async function migrateSlot(cluster: RedisCluster, slot: number): Promise<SlotMove> {
  const masters = await cluster.masters();
  const admins = masters.map((server) => new Redis(server.port, server.host, { maxRetriesPerRequest: 1 }));
  try {
    const ranges = (await admins[0].call('CLUSTER', 'SLOTS')) as SlotRange[];
    const owner = ranges.find(([start, end]) => start <= slot && slot <= end);
    if (!owner) throw new Error(`slot ${slot} has no owner`);
    const sourceIndex = masters.findIndex((server) => server.port === owner[2][1]);
    const targetIndex = (sourceIndex + 1) % masters.length;
    const source = admins[sourceIndex];
    const target = admins[targetIndex];
    const sourceId = String(await source.call('CLUSTER', 'MYID'));
    const targetId = String(await target.call('CLUSTER', 'MYID'));
    await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
    await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
    for (;;) {
      const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      const to = masters[targetIndex];
      await source.call('MIGRATE', to.host, to.port, '', 0, 5_000, 'KEYS', ...keys);
    }
    // The new owner first, so that no node sends clients to a node that does not know yet.
    for (const admin of [target, source, ...admins.filter((a) => a !== source && a !== target)]) {
      await admin.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
    }
    const address = (index: number) => `${masters[index].host}:${masters[index].port}`;
    return { from: address(sourceIndex), to: address(targetIndex) };
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}
