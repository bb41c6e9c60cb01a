import type { Cluster, ClusterNode, Redis, RedisOptions } from 'ioredis';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';

/*
 * Where the module connects, for messages and logs. Built only from host, port, socket path
 * and Sentinel group name, so a password or a URL with credentials can never leak into them.
 */

function describeNode(node: ClusterNode): string {
  if (typeof node === 'number') return `127.0.0.1:${node}`;
  if (typeof node === 'string') return describeUrl(node);
  return `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}`;
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || '127.0.0.1'}:${parsed.port || 6379}`;
  } catch {
    return '(unparsable URL)';
  }
}

function describeRedisOptions(options: Partial<RedisOptions>): string {
  if (options.sentinels?.length) {
    return (
      `Sentinel group "${options.name ?? 'mymaster'}" via ` +
      `${options.sentinels.map((sentinel) => describeNode(sentinel as ClusterNode)).join(', ')}`
    );
  }
  if (options.path) return `unix:${options.path}`;
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}

function describeClient(client: Redis | Cluster): string {
  if (client.isCluster) {
    // startupNodes is private in ioredis's types but the only record of where a cluster client connects.
    const nodes = (client as unknown as { startupNodes?: ClusterNode[] }).startupNodes ?? [];
    return `cluster ${nodes.map(describeNode).join(', ') || '(no startup nodes)'}`;
  }
  return describeRedisOptions((client as Redis).options);
}

export function describeEndpoint(options: ResolvedStatefulRedisOptions): string {
  if (options.client) return describeClient(options.client);
  if (options.cluster) return `cluster ${options.cluster.nodes.map(describeNode).join(', ')}`;
  if (typeof options.redis === 'string') return describeUrl(options.redis);
  return describeRedisOptions(options.redis ?? {});
}
