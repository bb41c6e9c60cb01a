import type { Cluster, ClusterNode, Redis, RedisOptions } from 'ioredis';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';

/*
 * Every password a module's connection may send, so that error texts can be scrubbed of them:
 * from the module options (a URL, `password`, `sentinelPassword`, a cluster's `redisOptions` or
 * node URLs) and from the client itself, owned or borrowed (ioredis keeps a URL's password in
 * its options).
 */

function passwordOfUrl(url: string): string[] {
  try {
    const encoded = new URL(url).password;
    if (!encoded) return [];
    let decoded = encoded;
    try {
      decoded = decodeURIComponent(encoded);
    } catch {
      // A malformed escape: ioredis sends the text as written.
    }
    return [encoded, decoded];
  } catch {
    return [];
  }
}

function passwordsOfRedisOptions(options: Partial<RedisOptions> | undefined): Array<string | undefined> {
  return [options?.password, options?.sentinelPassword];
}

function passwordsOfNodes(nodes: readonly ClusterNode[] | undefined): string[] {
  return (nodes ?? []).flatMap((node) => (typeof node === 'string' ? passwordOfUrl(node) : []));
}

function passwordsOfClient(client: Redis | Cluster): Array<string | undefined> {
  if (!client.isCluster) return passwordsOfRedisOptions((client as Redis).options);
  const cluster = client as Cluster;
  // startupNodes is private in ioredis's types; a node given as a URL may carry a password.
  const startupNodes = (cluster as unknown as { startupNodes?: ClusterNode[] }).startupNodes;
  return [...passwordsOfRedisOptions(cluster.options.redisOptions), ...passwordsOfNodes(startupNodes)];
}

/** The passwords of the connection `client` makes for `options`, without duplicates or blanks. */
export function connectionPasswords(options: ResolvedStatefulRedisOptions, client: Redis | Cluster): string[] {
  const found: Array<string | undefined> = [...passwordsOfClient(client)];
  if (typeof options.redis === 'string') found.push(...passwordOfUrl(options.redis));
  else found.push(...passwordsOfRedisOptions(options.redis));
  if (options.cluster) {
    found.push(...passwordsOfRedisOptions(options.cluster.options?.redisOptions));
    found.push(...passwordsOfNodes(options.cluster.nodes));
  }
  const passwords = found.filter((password): password is string => typeof password === 'string' && password.length > 0);
  return [...new Set(passwords)];
}
