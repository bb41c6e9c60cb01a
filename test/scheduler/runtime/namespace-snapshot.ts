import type { RedisServer } from '../../harness/redis-server';

/** Every key of a scheduler namespace (`base`) and its content but the replicas' heartbeats: to show nothing written. */
export async function namespaceSnapshot(server: RedisServer, base: string): Promise<string> {
  const keys = (await server.cli('--scan', '--pattern', `${base}:*`))
    .split('\n')
    .filter((key) => key && key !== `${base}:replicas`)
    .sort();
  const contents = await Promise.all(keys.map(async (key) => `${key} ${await server.cli('DUMP', key)}`));
  return contents.join('\n');
}
