import { Redis } from 'ioredis';
import type { RedisServer } from '../../harness/redis-server';

/**
 * Makes sure every write a master acknowledged so far has reached a replica: one more write
 * on the master, then `WAIT 1 <timeoutMs>` for it (the replication stream is ordered, so
 * everything written before it has been acknowledged too). On a cluster node the probe key
 * must hash to a slot the node owns: the first name not answered with MOVED is used.
 */
export async function waitForReplica(master: RedisServer, timeoutMs = 2_000): Promise<void> {
  const client = new Redis(master.port, master.host, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    for (let i = 0; ; i++) {
      try {
        await client.set(`sf-test-replication-probe-${i}`, String(Date.now()), 'PX', 60_000);
        break;
      } catch (error) {
        if (!/^MOVED/.test((error as Error).message) || i > 200) throw error;
      }
    }
    const acknowledged = (await client.call('WAIT', '1', String(timeoutMs))) as number;
    if (acknowledged < 1)
      throw new Error(`no replica of ${master.port} acknowledged the writes within ${timeoutMs} ms`);
  } finally {
    client.disconnect();
  }
}
