import { Redis } from 'ioredis';
import calculateSlot = require('cluster-key-slot');
import { ClusterTarget } from '../../harness/cluster-target';
import { RedisServer } from '../../harness/redis-server';
import type { RedisTargetKind } from './fault-plan';
import type { HistoryReplicaConfig } from './history-replica-protocol';

/*
 * The Redis a history run uses, and the faults of Redis itself, on a standalone redis-server (started by the
 * harness with enable-debug-command on) or on a Redis Cluster of 3 masters and 3 replicas. Node-level faults
 * (CLIENT PAUSE, DEBUG SLEEP) hit the node serving the namespace's slot.
 */

/** The module's default key prefix: the namespace's keys are `sf:{<ns>:sched}…`. */
const KEY_PREFIX = 'sf';

/** Pause between two keys of a slot migration. */
const MIGRATION_PAUSE_MS = 100;

export interface MigrationReport {
  /** From where to where. */
  detail: string;
  /** Keys MIGRATE refused (the importing node's copy kept), with Redis's reason. */
  refused: string[];
}

export interface KeyCount {
  keys: number;
  elements: number;
  replicasHash: number | null;
}

export abstract class HistoryTarget {
  abstract readonly kind: RedisTargetKind;
  private readonly admins = new Map<number, Redis>();

  abstract start(): Promise<void>;
  abstract replicaConnection(): Pick<HistoryReplicaConfig, 'redis' | 'cluster' | 'timeNode'>;
  /** Every node serving clients: pub/sub connections are closed and keys counted on each of them. */
  protected abstract clientNodes(): Promise<Array<{ host: string; port: number }>>;
  /** The node that serves the namespace's slot now. */
  protected abstract namespaceNode(namespace: string): Promise<{ host: string; port: number }>;
  protected abstract stopRedis(): Promise<void>;

  /** A new plain client of the node whose clock the run reads (the caller disconnects it). */
  timeClient(): Redis {
    const { host, port } = this.replicaConnection().timeNode;
    return new Redis(port, host, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  }

  /** Closes every subscriber connection (the replicas' change channel): the number closed. */
  async killPubSub(): Promise<number> {
    let killed = 0;
    for (const node of await this.clientNodes())
      killed += Number(await this.admin(node).call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    return killed;
  }

  /** `CLIENT PAUSE <ms> ALL` on the namespace's node; returns once it is paused (the pause goes on `ms`). */
  async pause(namespace: string, ms: number): Promise<void> {
    await this.admin(await this.namespaceNode(namespace)).call('CLIENT', 'PAUSE', String(ms), 'ALL');
  }

  /** `DEBUG SLEEP` on the namespace's node; returns once it is awake. */
  async sleep(namespace: string, ms: number): Promise<void> {
    await this.admin(await this.namespaceNode(namespace)).call('DEBUG', 'SLEEP', (ms / 1000).toFixed(3));
  }

  /** Moves the namespace's slot to another master key by key (cluster only). */
  migrateNamespace(_namespace: string): Promise<MigrationReport> {
    return Promise.reject(new Error(`no slot migration on a ${this.kind} target`));
  }

  /**
   * The namespace's keys (on every node: a slot migration that failed halfway leaves some on each), their
   * element counts summed, and the fields of its replicas' heartbeat hash.
   */
  async countKeys(namespace: string): Promise<KeyCount> {
    const count: KeyCount = { keys: 0, elements: 0, replicasHash: null };
    for (const node of await this.clientNodes()) {
      const client = this.admin(node);
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${namespaceBase(namespace)}*`, 'COUNT', 1_000);
        for (const key of keys) {
          const type = await client.type(key);
          const elements = await elementsOf(client, key, type);
          count.keys++;
          count.elements += elements;
          // Wherever the layout puts it: the hash named for the replicas.
          if (type === 'hash' && /replicas$/.test(key)) count.replicasHash = (count.replicasHash ?? 0) + elements;
        }
        cursor = next;
      } while (cursor !== '0');
    }
    return count;
  }

  async stop(): Promise<void> {
    for (const admin of this.admins.values()) admin.disconnect();
    await this.stopRedis();
  }

  private admin(node: { host: string; port: number }): Redis {
    let client = this.admins.get(node.port);
    if (!client) {
      client = new Redis(node.port, node.host, { maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      this.admins.set(node.port, client);
    }
    return client;
  }
}

function namespaceBase(namespace: string): string {
  return `${KEY_PREFIX}:{${namespace}:sched}`;
}

async function elementsOf(client: Redis, key: string, type: string): Promise<number> {
  switch (type) {
    case 'hash':
      return client.hlen(key);
    case 'zset':
      return client.zcard(key);
    case 'set':
      return client.scard(key);
    case 'list':
      return client.llen(key);
    case 'stream':
      return client.xlen(key);
    case 'none':
      return 0;
    default:
      return 1;
  }
}

export class StandaloneHistoryTarget extends HistoryTarget {
  readonly kind = 'standalone';
  private server?: RedisServer;

  async start(): Promise<void> {
    this.server = await RedisServer.start();
  }

  replicaConnection(): Pick<HistoryReplicaConfig, 'redis' | 'timeNode'> {
    const server = this.started();
    return { redis: server.url, timeNode: { host: server.host, port: server.port } };
  }

  protected async clientNodes(): Promise<Array<{ host: string; port: number }>> {
    return [this.started()];
  }

  protected async namespaceNode(): Promise<{ host: string; port: number }> {
    return this.started();
  }

  protected async stopRedis(): Promise<void> {
    await this.server?.dispose();
  }

  private started(): RedisServer {
    if (!this.server) throw new Error('the standalone target is not started');
    return this.server;
  }
}

export class ClusterHistoryTarget extends HistoryTarget {
  readonly kind = 'cluster';
  private readonly target = new ClusterTarget();

  start(): Promise<void> {
    return this.target.start();
  }

  replicaConnection(): Pick<HistoryReplicaConfig, 'cluster' | 'timeNode'> {
    const nodes = this.target.cluster.nodes;
    return { cluster: nodes, timeNode: nodes[0] };
  }

  /**
   * Moves the namespace's slot to another master as redis-cli does, but one key at a time with pauses, so that
   * the replicas meet the slot half-moved for a while. A key MIGRATE refuses (BUSYKEY: the replicas wrote it on
   * the importing node meanwhile) is reported, and the importing node's copy, the newer, is kept (the old one
   * dropped), so that the run goes on with a cluster whose slot is whole again.
   */
  override async migrateNamespace(namespace: string): Promise<MigrationReport> {
    const cluster = this.target.cluster;
    const slot = calculateSlot(namespaceBase(namespace));
    const from = await cluster.ownerOf(slot);
    const to = (await cluster.masters()).find((master) => master !== from);
    if (!to) throw new Error('no other master to move the slot to');
    const refused: string[] = [];
    await cluster.beginSlotMigration(slot, to);
    for (;;) {
      const [key] = (await from.cli('CLUSTER', 'GETKEYSINSLOT', String(slot), '1')).split('\n').filter(Boolean);
      if (key === undefined) break;
      try {
        await cluster.migrateKeys(from, to, [key]);
      } catch (error) {
        refused.push(`${key}: ${(error as Error).message.split('\n')[0]}`);
        await from.cli('DEL', key);
      }
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_PAUSE_MS));
    }
    await cluster.finishSlotMigration(slot, from, to, 30_000);
    return { detail: `slot ${slot}: node ${from.port} -> ${to.port}`, refused };
  }

  protected clientNodes(): Promise<Array<{ host: string; port: number }>> {
    return this.target.cluster.masters();
  }

  protected namespaceNode(namespace: string): Promise<{ host: string; port: number }> {
    return this.target.cluster.ownerOf(calculateSlot(namespaceBase(namespace)));
  }

  protected stopRedis(): Promise<void> {
    return this.target.stop();
  }
}
