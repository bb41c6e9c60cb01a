import type { Cluster, Redis } from 'ioredis';
import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';

/** Slots of a Redis Cluster: every key lives in one of them. */
const CLUSTER_SLOTS = 16_384;

/** Who owned every slot when a scan began: the owner's node key (`host:port`) per slot, and the masters to scan. */
export interface ShardView {
  owners: string[];
  masters: Redis[];
}

/**
 * A fresh view of the cluster's shards: the slot table asked again of a node (ioredis drops a node from its pool
 * when its connection ends, and `nodes('master')` alone would then miss a live master), and a connection to the
 * master of each of the 16 384 slots. A slot without a reachable master fails the call (retryable): a scan that
 * skipped it would miss its keys without a word.
 */
export async function currentShards(cluster: Cluster, operation: string): Promise<ShardView> {
  try {
    await new Promise<void>((resolve, reject) =>
      cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
    );
  } catch (error) {
    throw new StatefulError(ErrorCode.REDIS_CONNECTION_ERROR, `${operation}: the cluster's slots could not be read`, {
      cause: error,
      operation,
    });
  }
  const byKey = new Map(cluster.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
  const owners: string[] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = cluster.slots[slot]?.[0];
    if (owner === undefined || !byKey.has(owner)) {
      throw new StatefulError(
        ErrorCode.REDIS_CONNECTION_ERROR,
        `${operation}: cluster slot ${slot} has no reachable master (${owner ?? 'none known'}); a scan would miss ` +
          'its keys: try again',
        { operation },
      );
    }
    owners.push(owner);
  }
  return { owners, masters: [...new Set(owners)].map((owner) => byKey.get(owner)!) };
}

/**
 * Fails the call (retryable) when a slot changed master since `before`: a failover or a migration during the scan
 * may have put keys where the scan did not look.
 */
export async function assertShardsUnchanged(
  cluster: Cluster,
  before: ShardView,
  operation: string,
): Promise<ShardView> {
  const after = await currentShards(cluster, operation);
  const moved = after.owners.findIndex((owner, slot) => owner !== before.owners[slot]);
  if (moved !== -1) {
    throw new StatefulError(
      ErrorCode.CLUSTER_RESHARDING,
      `${operation}: cluster slot ${moved} moved from ${before.owners[moved]} to ${after.owners[moved]} during the ` +
        'scan (failover or resharding); its keys may have been missed: try again',
      { operation },
    );
  }
  return after;
}

/**
 * Fails the call (retryable) when a master has a slot migrating or importing: `MIGRATE` moves that slot's keys
 * from one master to the other while both are scanned, and a key moved after the target's SCAN passed its place,
 * before the source's SCAN reached it, is seen by neither. Asked at the end of a walk: a migration under way during
 * it is still under way then, or has changed the slot's owner (`assertShardsUnchanged`).
 */
export async function assertNoSlotMigrating(masters: Redis[], operation: string): Promise<void> {
  let views: string[];
  try {
    views = await Promise.all(masters.map((master) => master.call('CLUSTER', 'NODES') as Promise<string>));
  } catch (error) {
    throw new StatefulError(
      ErrorCode.REDIS_CONNECTION_ERROR,
      `${operation}: the cluster's slot migrations could not be read`,
      { cause: error, operation },
    );
  }
  for (const view of views) {
    // Only the node itself shows its own migrations: `[slot->-target]` and `[slot-<-source]` on its `myself` line.
    const own = view.split('\n').find((line) => line.split(' ')[2]?.split(',').includes('myself'));
    const moving = own?.match(/\[(\d+)-[<>]-(\w+)\]/);
    if (moving) {
      throw new StatefulError(
        ErrorCode.CLUSTER_RESHARDING,
        `${operation}: cluster slot ${moving[1]} is being migrated (resharding); a scan could miss the keys moved ` +
          'meanwhile: try again once it is done',
        { operation },
      );
    }
  }
}
