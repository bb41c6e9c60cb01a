import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../core/connection/redis-connection';
import { escapeGlob } from '../keys/key-patterns';
import { assertNoSlotMigrating, assertShardsUnchanged, currentShards } from './cluster-shards';

/** Keys SCAN examines per call: bounded work on the server and a bounded batch on the client. */
const SCAN_COUNT = 1_000;

/**
 * Walks the whole keyspace of every master (the one node, or the master of every cluster slot, side by side) with
 * `SCAN cursor MATCH pattern COUNT 1000`. For each page, `visitPage` gets a function that sends that page's
 * SCAN and returns the keys found (as the library names them: without the ioredis client's own `keyPrefix`);
 * the next page of that master is asked for once `visitPage` has returned. Costs a full SCAN of each master.
 * On a cluster, every slot is covered or the call fails: the masters come from a fresh view of the shards, and
 * a master that cannot be scanned, a slot that changed master during the walk, or a slot still migrating at its
 * end, fails it with a retryable `StatefulError` naming `operation`.
 */
export async function scanEveryMaster(
  client: RedisClient,
  pattern: string,
  operation: string,
  visitPage: (scanPage: () => Promise<string[]>) => Promise<void>,
): Promise<void> {
  // ioredis puts its `keyPrefix` before the keys it sends, not into a SCAN pattern, nor strips it from replies.
  const clientPrefix = String(client.options.keyPrefix ?? '');
  const match = escapeGlob(clientPrefix) + pattern;
  const shards = client.isCluster ? await currentShards(client as Cluster, operation) : undefined;
  const masters: Redis[] = shards?.masters ?? [client as Redis];
  // One master failing stops the others at their next page, and the call returns once every walk has stopped:
  // nothing goes on writing in the background after the caller got the error.
  let failed = false;
  const walks = await Promise.allSettled(
    masters.map(async (node) => {
      let cursor = '0';
      try {
        do {
          let scanned = false;
          await visitPage(async () => {
            const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
            scanned = true;
            cursor = next;
            return clientPrefix === '' ? keys : keys.map((key) => key.slice(clientPrefix.length));
          });
          if (!scanned) throw new Error('scanEveryMaster: a page was visited without being scanned');
        } while (cursor !== '0' && !failed);
      } catch (error) {
        failed = true;
        throw error;
      }
    }),
  );
  const failure = walks.find((walk): walk is PromiseRejectedResult => walk.status === 'rejected');
  if (failure) throw failure.reason;
  if (shards) {
    // Checked at the end only: the walk's removals are valid whatever moves (compare-and-delete); a migration under
    // way during the walk is either still under way now, or it changed the slot's owner.
    const after = await assertShardsUnchanged(client as Cluster, shards, operation);
    await assertNoSlotMigrating(after.masters, operation);
  }
}
