import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { withDeadline } from '../../core/connection/with-deadline';
import { scrubText } from '../../core/errors/credential-scrubber';

/** Whether Redis may evict the scheduler's keys (which have no TTL) under this `maxmemory-policy`. */
function canEvictPersistentKeys(policy: string): boolean {
  // `volatile-*` evicts only keys with a TTL; `noeviction` refuses writes instead of evicting.
  return policy !== 'noeviction' && !policy.startsWith('volatile-');
}

/**
 * Warns when a node's `maxmemory-policy` can evict keys without a TTL: Redis could then drop a task's
 * definition, lease or history under memory pressure. `CONFIG GET` may be refused (ACL, managed Redis):
 * that is said at debug level. Never rejects.
 */
export async function checkEvictionPolicy(client: Redis | Cluster, logger: Logger, timeoutMs: number): Promise<void> {
  try {
    const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    for (const node of nodes) {
      const reply = (await withDeadline(node.config('GET', 'maxmemory-policy'), timeoutMs)) as string[];
      const policy = reply[1];
      if (policy === undefined) throw new Error('CONFIG GET maxmemory-policy returned nothing');
      if (canEvictPersistentKeys(policy)) {
        const where = client.isCluster ? ` on ${node.options.host}:${node.options.port}` : '';
        logger.warn(
          `Redis maxmemory-policy is "${policy}"${where}: under memory pressure Redis may evict scheduled tasks, ` +
            'leases and run history (they have no TTL); use "noeviction" or a "volatile-*" policy',
        );
      }
    }
  } catch (error) {
    logger.debug(
      `Could not read Redis maxmemory-policy (CONFIG GET refused or failed: ${scrubText((error as Error).message)})`,
    );
  }
}
