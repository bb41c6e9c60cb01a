import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import calculateSlot = require('cluster-key-slot');
import type { RedisConnection } from '../../core/connection/redis-connection';
import { scrubText } from '../../core/errors/credential-scrubber';
import { BoundedCache, CacheEntry } from './bounded-cache';
import { TrackingChannel, TrackingListener } from './tracking-channel';

export interface NearCacheSettings {
  maxEntries: number;
  /** The library's key prefix (`sf`), to tell its link keys in invalidations. */
  keyPrefix: string;
  /** How long startup waits for tracking to be on before going on without it. */
  connectTimeoutMs: number;
  /** On a cluster: how long a "no link" answer may be served at most (default `CLUSTER_NEGATIVE_ENTRY_MAX_AGE_MS`). */
  negativeEntryMaxAgeMs?: number;
}

/**
 * On a cluster, a key that does not exist on the node that tracks it may be created on another node once its
 * slot moved, and the tracking node never hears of it; this client may learn of the move late (slots are
 * refreshed on a MOVED reply, or every `slotsRefreshInterval`, off by default). So a "no link" answer is
 * served for this long at most; an existing key is safe: leaving its node (MIGRATE) is a change Redis reports.
 */
const CLUSTER_NEGATIVE_ENTRY_MAX_AGE_MS = 1_000;

const CLUSTER_SLOTS = 16_384;

/** Whether tracking is on, per node (one channel per node: the one Redis, or each cluster master). */
export interface TrackingStatus {
  channels: number;
  activeChannels: number;
}

/** Counters for tests, health and the benchmark. */
export interface NearCacheStats {
  size: number;
  hits: number;
  misses: number;
  invalidations: number;
  /** Times everything was forgotten: a connection or the invalidation channel lost, a flush. */
  clears: number;
  active: boolean;
}

type Links = Record<string, number>;
type Value = number | Links;
type Bucket = Map<string, CacheEntry<Value>>;

/** A read from Redis under way; `stale` once anything it read may have changed since. */
interface Load<T> {
  stale: boolean;
  promise: Promise<T>;
}

/**
 * Links and link maps answered from process memory, kept coherent by Redis (CLIENT TRACKING):
 *
 * - a miss reads through a tracking connection of the key's node, so Redis will say when the key
 *   changes, and reads the TTL with the value: an entry never outlives its key's TTL;
 * - an invalidation drops the key's entry and the uid's link map; one that arrives while a read
 *   of the key is under way keeps that read's answer out of the cache (the invalidation travels
 *   on another connection and may overtake the reply);
 * - losing any connection or the invalidation channel, or a flush, forgets everything;
 * - writes of this process forget the link before they resolve (`invalidate`), so the process
 *   reads its own writes at once.
 *
 * Entries are found by namespace, service and uid (links) or namespace and uid (link maps of
 * `getLinkService`), each a lookup of a string the caller already has: a hit builds no key.
 * An invalidation names a Redis key, `sf:{ns:lk:uid}svc` or the uid hash `sf:{ns:lk:uid}`;
 * either drops the link it names and the uid's link map.
 */
export class NearCache implements TrackingListener {
  private readonly logger = new Logger('StatefulRedis');
  private readonly entries: BoundedCache<Value>;
  /** namespace → service → uid → pod. */
  private linkBuckets = new Map<string, Map<string, Bucket>>();
  /** namespace → uid → link map. */
  private mapBuckets = new Map<string, Bucket>();
  private readonly keyHead: string;
  private readonly pending = new Map<string, Load<unknown>>();
  private readonly channels = new Map<string, TrackingChannel>();
  /** Bumped by every clear: a read started before it must not fill the cache. */
  private epoch = 0;
  private started = false;
  private closed = false;
  private readonly clientKeyPrefix: string;
  /** Cluster only: the master of every slot when the cache last looked, to see which moved. */
  private slotOwners: Array<string | undefined> = [];
  private readonly negativeEntryMaxAgeMs: number;
  private readonly closeListeners: Array<() => void> = [];
  private hits = 0;
  private misses = 0;
  private invalidations = 0;
  private clears = 0;

  constructor(
    private readonly settings: NearCacheSettings,
    private readonly connection: RedisConnection,
  ) {
    this.entries = new BoundedCache<Value>(settings.maxEntries);
    this.keyHead = `${settings.keyPrefix}:{`;
    // ioredis's own keyPrefix option is added to every key it sends, so it is in every invalidation too.
    this.clientKeyPrefix = String((connection.client.options as { keyPrefix?: string }).keyPrefix ?? '');
    this.negativeEntryMaxAgeMs = this.cluster
      ? (settings.negativeEntryMaxAgeMs ?? CLUSTER_NEGATIVE_ENTRY_MAX_AGE_MS)
      : Infinity;
  }

  /** Opens the tracking channel (standalone) or one per master, in the background (cluster). */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.connection.client.on('close', this.onMainConnectionClose);
    if (this.cluster) {
      this.cluster.on('-node', this.onClusterNodeRemoved);
      this.cluster.on('refresh', this.onSlotsRefreshed);
      this.onSlotsRefreshed();
      return;
    }
    const channel = this.channelFor('');
    if (channel && !(await channel.open(this.settings.connectTimeoutMs))) {
      this.logger.warn('Near-cache: client tracking is not on yet; reads go to Redis until it is');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection.client.off('close', this.onMainConnectionClose);
    this.cluster?.off('-node', this.onClusterNodeRemoved);
    this.cluster?.off('refresh', this.onSlotsRefreshed);
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    this.clear();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  /** Calls `listener` once, when the cache closes (e.g. to stop reporting it in metrics). */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** How many nodes the cache tracks on, and on how many tracking is on now. */
  trackingStatus(): TrackingStatus {
    let activeChannels = 0;
    for (const channel of this.channels.values()) if (channel.active) activeChannels++;
    return { channels: this.channels.size, activeChannels };
  }

  stats(): NearCacheStats {
    return {
      size: this.entries.size,
      hits: this.hits,
      misses: this.misses,
      invalidations: this.invalidations,
      clears: this.clears,
      active: [...this.channels.values()].some((channel) => channel.active),
    };
  }

  /** The cached pod of a link (`NO_POD` cached too), or `undefined` on a miss. */
  link(namespace: string, uid: string, serviceName: string): number | undefined {
    const entry = this.linkBuckets.get(namespace)?.get(serviceName)?.get(uid);
    return this.isHit(entry) ? (entry.value as number) : undefined;
  }

  /** Counts a lookup; a live entry is a hit and is marked as used for eviction. */
  private isHit(entry: CacheEntry<Value> | undefined): entry is CacheEntry<Value> {
    if (entry === undefined || (entry.expiresAt !== Infinity && entry.expiresAt <= performance.now())) {
      this.misses++;
      return false;
    }
    this.hits++;
    entry.used = true;
    return true;
  }

  /** A copy of the cached link map of a uid, or `undefined` on a miss. */
  links(namespace: string, uid: string): Links | undefined {
    const entry = this.mapBuckets.get(namespace)?.get(uid);
    if (!this.isHit(entry)) return undefined;
    // A copy: the caller may change what it gets. Spread defines own properties, `__proto__` included.
    return { ...(entry.value as Links) };
  }

  /**
   * Reads a link through the tracking connection (value, then TTL), caches and returns it;
   * `direct` reads it without caching when no channel is active for the key's node.
   */
  loadLink(
    namespace: string,
    uid: string,
    serviceName: string,
    key: string,
    parse: (reply: unknown) => number,
    direct: () => Promise<unknown>,
  ): Promise<number> {
    const channel = this.activeChannelFor(key);
    if (channel === undefined) return direct().then(parse);
    return this.load(key, direct, parse, async (load, epoch) => {
      const sentAt = performance.now();
      const [value, ttl] = await channel.readLink(key);
      const podId = parse(value);
      // The TTL is read after the value and counted from before sending: the entry expires first.
      // A value whose key is gone by the PTTL (expired or deleted in between) is answered, not kept.
      if (value === null || ttl !== -2) {
        const expiresAt = value === null ? sentAt + this.negativeEntryMaxAgeMs : ttl >= 0 ? sentAt + ttl : Infinity;
        this.fill(load, epoch, () => this.linkBucket(namespace, serviceName), uid, podId, expiresAt);
      }
      return podId;
    });
  }

  /**
   * Reads the link map of a uid through the tracking connection: the `statefulGetLinkService`
   * script (one atomic answer; Redis tracks the hash), then the `PTTL` of each link (tracks them,
   * and the map expires with its shortest temporary link). `direct` as for `loadLink`.
   */
  loadLinks(
    namespace: string,
    uid: string,
    hashKey: string,
    parse: (reply: unknown) => Links,
    direct: () => Promise<unknown>,
  ): Promise<Links> {
    const channel = this.activeChannelFor(hashKey);
    if (channel === undefined) return direct().then(parse);
    return this.load(hashKey, direct, parse, async (load, epoch) => {
      const sentAt = performance.now();
      const links = parse(await channel.readLinks(hashKey));
      const services = Object.keys(links);
      let expiresAt = services.length === 0 ? sentAt + this.negativeEntryMaxAgeMs : Infinity;
      if (services.length > 0) {
        const ttls = await Promise.all(services.map((service) => channel.readTtl(hashKey + service)));
        for (const ttl of ttls) {
          if (ttl === -2) return { ...links }; // expired meanwhile: the answer stands, but is not kept
          if (ttl >= 0) expiresAt = Math.min(expiresAt, sentAt + ttl);
        }
      }
      this.fill(load, epoch, () => this.mapBucket(namespace), uid, links, expiresAt);
      return { ...links };
    });
  }

  /** A write of this process changed (or may have changed) a link: forget it and the uid's link map. */
  invalidate(linkKey: string): void {
    this.forget(linkKey);
  }

  // --- TrackingListener -------------------------------------------------------------------

  invalidated(keys: Buffer[] | null): void {
    if (keys === null) {
      this.clear();
      return;
    }
    for (const raw of keys) {
      let key = raw.toString();
      if (this.clientKeyPrefix && key.startsWith(this.clientKeyPrefix)) key = key.slice(this.clientKeyPrefix.length);
      this.invalidations++;
      this.forget(key);
    }
  }

  lost(): void {
    this.clear();
  }

  // --- internals --------------------------------------------------------------------------

  private get cluster(): Cluster | undefined {
    return this.connection.client.isCluster ? (this.connection.client as Cluster) : undefined;
  }

  private load<T>(
    key: string,
    direct: () => Promise<unknown>,
    parse: (reply: unknown) => T,
    read: (load: Load<T>, epoch: number) => Promise<T>,
  ): Promise<T> {
    const current = this.pending.get(key) as Load<T> | undefined;
    // Join a read under way only if nothing changed since it started: a newer write must be seen.
    if (current !== undefined && !current.stale) return current.promise;
    const load = { stale: false } as Load<T>;
    load.promise = read(load, this.epoch)
      .catch((error: Error & { message: string }) => {
        // A cluster node that no longer serves the slot: read the usual way, without caching.
        if (/^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN) /.test(error.message ?? '')) {
          // A slot moved: what was read through the old owner may be stale.
          if (error.message.startsWith('MOVED ')) this.clear();
          return direct().then(parse);
        }
        throw error;
      })
      .finally(() => {
        if (this.pending.get(key) === load) this.pending.delete(key);
      });
    this.pending.set(key, load);
    return load.promise;
  }

  private fill(
    load: Load<unknown>,
    epoch: number,
    bucket: () => Bucket,
    key: string,
    value: Value,
    expiresAt: number,
  ): void {
    if (load.stale || epoch !== this.epoch || this.closed) return;
    this.entries.set(bucket(), key, value, expiresAt);
  }

  private linkBucket(namespace: string, serviceName: string): Bucket {
    let services = this.linkBuckets.get(namespace);
    if (services === undefined) this.linkBuckets.set(namespace, (services = new Map()));
    let bucket = services.get(serviceName);
    if (bucket === undefined) services.set(serviceName, (bucket = new Map()));
    return bucket;
  }

  private mapBucket(namespace: string): Bucket {
    let bucket = this.mapBuckets.get(namespace);
    if (bucket === undefined) this.mapBuckets.set(namespace, (bucket = new Map()));
    return bucket;
  }

  /**
   * Drops what a changed Redis key may have changed: the link it is (`sf:{ns:lk:uid}svc`) and the
   * uid's link map (for the link or the uid hash `sf:{ns:lk:uid}`), and spoils the reads of them
   * under way. Any other key is no business of the cache.
   */
  private forget(key: string): void {
    const head = this.keyHead;
    if (!key.startsWith(head)) return;
    // A namespace has no ':' and a uid no '}': the first of each ends them.
    const namespaceEnd = key.indexOf(':', head.length);
    if (namespaceEnd < 0 || !key.startsWith(':lk:', namespaceEnd)) return;
    const uidEnd = key.indexOf('}', namespaceEnd + 4);
    if (uidEnd < 0) return;
    const namespace = key.slice(head.length, namespaceEnd);
    const uid = key.slice(namespaceEnd + 4, uidEnd);
    const serviceName = key.slice(uidEnd + 1);
    if (serviceName !== '') {
      this.entries.delete(this.linkBuckets.get(namespace)?.get(serviceName), uid);
      const pending = this.pending.get(key);
      if (pending !== undefined) pending.stale = true;
    }
    this.entries.delete(this.mapBuckets.get(namespace), uid);
    const pendingMap = this.pending.get(serviceName === '' ? key : key.slice(0, uidEnd + 1));
    if (pendingMap !== undefined) pendingMap.stale = true;
  }

  private clear(): void {
    this.epoch++;
    this.clears++;
    this.entries.clear();
    this.linkBuckets = new Map();
    this.mapBuckets = new Map();
    for (const load of this.pending.values()) load.stale = true;
  }

  private activeChannelFor(key: string): TrackingChannel | undefined {
    if (!this.started || this.closed) return undefined;
    const channel = this.channelFor(key);
    return channel?.active ? channel : undefined;
  }

  /** The channel of the node that serves `key`: the one node, or the master of the key's slot. */
  private channelFor(key: string): TrackingChannel | undefined {
    const cluster = this.cluster;
    if (!cluster) return this.channelOn('');
    const nodeKey = (cluster.slots[calculateSlot(this.clientKeyPrefix + key)] ?? [])[0];
    return nodeKey ? this.channelOn(nodeKey) : undefined;
  }

  /** The channel of a node (`host:port`, or `''` for the one node), opened on first use. */
  private channelOn(nodeKey: string): TrackingChannel {
    const cluster = this.cluster;
    let channel = this.channels.get(nodeKey);
    if (channel === undefined) {
      channel = new TrackingChannel(
        (role) => this.connect(role, nodeKey),
        this,
        (error) =>
          this.logger.warn(
            `Near-cache: could not turn client tracking on (${scrubText(error.message)}); reads go to Redis`,
          ),
        // The module's own standalone connection doubles as the reader; a borrowed one is left alone.
        !cluster && this.connection.owned ? (this.connection.client as Redis) : undefined,
      );
      this.channels.set(nodeKey, channel);
      // A cluster channel opens in the background; the reads that find it inactive go to Redis meanwhile.
      if (cluster) void channel.open(this.settings.connectTimeoutMs);
    }
    return channel;
  }

  /** A connection like the module's own, to the same node, for the reader or the subscriber of a channel. */
  private connect(role: 'reader' | 'subscriber', nodeKey: string): Redis {
    const roleOptions = {
      lazyConnect: true,
      connectionName: `stateful-redis-near-cache-${role}`,
      // The invalidations arrive as Pub/Sub messages only on a RESP2 connection.
      ...(role === 'subscriber' ? { protocol: 2 as const, autoResubscribe: false, enableOfflineQueue: true } : {}),
    };
    const cluster = this.cluster;
    if (!cluster) return (this.connection.client as Redis).duplicate(roleOptions);
    const separator = nodeKey.lastIndexOf(':');
    const host = nodeKey.slice(0, separator);
    const port = Number(nodeKey.slice(separator + 1));
    // The cluster client adds its own keyPrefix (top level, or taken from redisOptions): the reader must too.
    const keyPrefix = role === 'reader' ? { keyPrefix: cluster.options.keyPrefix } : {};
    return new Redis({ ...(cluster.options.redisOptions ?? {}), host, port, ...keyPrefix, ...roleOptions });
  }

  private readonly onMainConnectionClose = () => this.clear();

  /**
   * The cluster client has (re)read the slot map: if any slot changed master, whatever was read through
   * the old one may be stale, so everything is forgotten (slots move rarely); every master gets a channel.
   */
  private readonly onSlotsRefreshed = () => {
    const cluster = this.cluster;
    if (!cluster || this.closed) return;
    const owners = Array.from({ length: CLUSTER_SLOTS }, (_, slot) => cluster.slots[slot]?.[0]);
    const known = this.slotOwners;
    this.slotOwners = owners;
    if (known.length > 0 && owners.some((owner, slot) => owner !== known[slot])) this.clear();
    for (const nodeKey of new Set(owners)) if (nodeKey) this.channelOn(nodeKey);
  };

  private readonly onClusterNodeRemoved = (node: Redis) => {
    const nodeKey = `${node.options.host}:${node.options.port}`;
    const channel = this.channels.get(nodeKey);
    if (channel === undefined) return;
    channel.close();
    this.channels.delete(nodeKey);
    this.clear();
  };
}
