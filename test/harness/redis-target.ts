import { Cluster, Redis } from 'ioredis';
import { describe } from 'node:test';
import type { StatefulRedisModuleOptions } from '../../lib';
import { RedisServer } from './redis-server';
import { ClusterTarget } from './cluster-target';

/**
 * A Redis deployment the behaviour suites run against. The same suite code runs on every
 * target named in `REDIS_TARGETS` (comma-separated; default `standalone`).
 */
export interface RedisTarget {
  readonly name: string;
  start(): Promise<void>;
  /** Module options connecting to this target (the module owns the connection). */
  moduleOptions(): StatefulRedisModuleOptions;
  /** A separate plain client, as another process or the Java/Go implementations would use. */
  rawClient(): Redis | Cluster;
  /** Empties every node. */
  flush(): Promise<void>;
  /** Every key of every node, for leftover checks. */
  keys(pattern?: string): Promise<string[]>;
  stop(): Promise<void>;
}

export class StandaloneTarget implements RedisTarget {
  readonly name = 'standalone';
  server!: RedisServer;

  async start(): Promise<void> {
    this.server = await RedisServer.start();
  }

  moduleOptions(): StatefulRedisModuleOptions {
    return { redis: this.server.url };
  }

  rawClient(): Redis {
    return new Redis(this.server.port, this.server.host, { maxRetriesPerRequest: 1 });
  }

  async flush(): Promise<void> {
    await this.server.cli('FLUSHALL');
  }

  async keys(pattern = '*'): Promise<string[]> {
    const output = await this.server.cli('--scan', '--pattern', pattern);
    // SCAN may return a key more than once (a hash table resized during the walk): each key counts once.
    return output ? [...new Set(output.split('\n'))].sort() : [];
  }

  async stop(): Promise<void> {
    await this.server?.dispose();
  }
}

const factories: Record<string, () => RedisTarget> = {
  standalone: () => new StandaloneTarget(),
  cluster: () => new ClusterTarget(),
};

function selectedTargets(): string[] {
  return (process.env.REDIS_TARGETS ?? 'standalone')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** `describe` once per selected target; `body` gets the target, started before its tests. */
export function describeOnTargets(title: string, body: (target: RedisTarget) => void): void {
  for (const name of selectedTargets()) {
    const factory = factories[name];
    if (!factory)
      throw new Error(`Unknown REDIS_TARGETS entry "${name}" (known: ${Object.keys(factories).join(', ')})`);
    describe(`${title} [${name}]`, () => body(factory()));
  }
}
