import type { Cluster } from 'ioredis';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import calculateSlot = require('cluster-key-slot');
import { NO_POD } from '../../../lib';
import { NearCache } from '../../../lib/routing/near-cache/near-cache';
import { ClusterTarget } from '../../harness/cluster-target';
import { startStatefulApp, StatefulApp } from '../../harness/stateful-app';
import { migrateSlot } from './slot-migration';
import { checkTemporaryLinks } from './temporary-links';

const NS = 'nearc';
const SVC = 'room';
const linkKey = (uid: string) => `sf:{${NS}:lk:${uid}}${SVC}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** Whether a second read of every uid is answered from the cache, every answer being `expected`. */
type Expected = (uid: string) => number;

async function allCached(app: StatefulApp, cache: NearCache, uids: string[], expected: Expected): Promise<boolean> {
  for (const uid of uids) if ((await app.service.getLinkedPod(NS, uid, SVC)) !== expected(uid)) return false;
  const hits = cache.stats().hits;
  for (const uid of uids) if ((await app.service.getLinkedPod(NS, uid, SVC)) !== expected(uid)) return false;
  return cache.stats().hits - hits === uids.length;
}

/** Reads every uid until each one is answered from the cache (a cluster channel opens on first use). */
async function warm(app: StatefulApp, cache: NearCache, uids: string[], expected: Expected): Promise<void> {
  await eventually('every link is cached', () => allCached(app, cache, uids, expected));
}

function clusterOf(app: StatefulApp): Cluster {
  return (app.service as unknown as { connection: { client: Cluster } }).connection.client;
}

describe('near-cache on a Redis Cluster', () => {
  const target = new ClusterTarget();
  let app: StatefulApp;
  let other: StatefulApp;
  let raw: Cluster;
  let cache: NearCache;
  // Enough uids to land on every master.
  const uids = Array.from({ length: 30 }, (_, i) => `c${i}`);

  before(async () => {
    await target.start();
    app = await startStatefulApp({ ...target.moduleOptions(), nearCache: { maxEntries: 1_000 } });
    other = await startStatefulApp(target.moduleOptions());
    cache = app.app.get(NearCache);
    raw = target.rawClient();
  });

  after(async () => {
    raw?.disconnect();
    await app?.close();
    await other?.close();
    await target.stop();
  });

  it('tracks on every master, shows own writes at once and other writes within milliseconds', async () => {
    for (const [i, uid] of uids.entries()) await app.service.setLinkedPod(NS, uid, SVC, i % 5, -1);
    await warm(app, cache, uids, (uid) => Number(uid.slice(1)) % 5);
    const channels = (cache as unknown as { channels: Map<string, unknown> }).channels;
    assert.equal(channels.size, 3, 'one tracking channel per master');

    for (const uid of uids) {
      await app.service.setLinkedPod(NS, uid, SVC, 7, -1);
      assert.equal(await app.service.getLinkedPod(NS, uid, SVC), 7);
    }
    await warm(app, cache, uids, () => 7);
    for (const uid of uids) await raw.set(linkKey(uid), '8');
    await eventually(
      'the other writes are seen',
      async () => {
        for (const uid of uids) if ((await app.service.getLinkedPod(NS, uid, SVC)) !== 8) return false;
        return true;
      },
      2_000,
    );
    assert.ok(cache.stats().invalidations >= uids.length);
  });

  it('never serves a temporary link after its TTL', async () => {
    await checkTemporaryLinks(
      async (ttlMs) => {
        for (const uid of uids) await raw.set(linkKey(uid), '3', 'PX', ttlMs);
      },
      async () => {
        for (let attempt = 0; attempt < 100; attempt++) {
          if (await allCached(app, cache, uids, () => 3)) return true;
        }
        return false;
      },
      async () => {
        for (const uid of uids) assert.equal(await app.service.getLinkedPod(NS, uid, SVC), NO_POD);
      },
    );
  });

  it('after a slot moves, a link created on its new owner is seen (no stale "no pod")', async () => {
    const uid = 'moving';
    const slot = calculateSlot(linkKey(uid));
    await warm(app, cache, [uid], () => NO_POD);
    assert.deepEqual(await app.service.getLinkService(NS, uid), {});
    const hits = cache.stats().hits;
    assert.deepEqual(await app.service.getLinkService(NS, uid), {});
    assert.equal(cache.stats().hits, hits + 1, 'the empty link map is cached');

    await migrateSlot(target.cluster, slot);
    // Another gateway links the uid: its client follows MOVED to the new owner; the old one never hears of it.
    await other.service.setLinkedPod(NS, uid, SVC, 5, -1);
    const linked = async () => (await app.service.getLinkedPod(NS, uid, SVC)) === 5;
    await eventually('the new link is seen', linked, 10_000);
    const mapped = async () => (await app.service.getLinkService(NS, uid))[SVC] === 5;
    await eventually('the new link map is seen', mapped, 10_000);
  });

  it('forgets what it cached as soon as its cluster client learns of a slot move', async () => {
    const uid = 'moving-again';
    await warm(app, cache, [uid], () => NO_POD);
    const client = clusterOf(app);
    await migrateSlot(target.cluster, calculateSlot(linkKey(uid)));
    const clears = cache.stats().clears;
    await new Promise<void>((resolve, reject) =>
      client.refreshSlotsCache((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    assert.ok(cache.stats().clears > clears, 'the slot move cleared the cache');
    assert.equal(cache.link(NS, uid, SVC), undefined);
    await other.service.setLinkedPod(NS, uid, SVC, 6, -1);
    await eventually('the new link is seen', async () => (await app.service.getLinkedPod(NS, uid, SVC)) === 6, 10_000);
  });

  it('with a keyPrefix in the cluster options, reads through the cache see the prefixed links', async () => {
    const prefixed = await startStatefulApp({
      cluster: { nodes: target.cluster.nodes, options: { keyPrefix: 'kp:' } },
      nearCache: {},
    });
    try {
      const prefixedCache = prefixed.app.get(NearCache);
      const keyUids = uids.slice(0, 10);
      for (const [i, uid] of keyUids.entries()) await prefixed.service.setLinkedPod(NS, uid, SVC, 20 + i, -1);
      await eventually('every prefixed link is cached', () =>
        allCached(prefixed, prefixedCache, keyUids, (uid) => 20 + keyUids.indexOf(uid)),
      );
      for (const [i, uid] of keyUids.entries()) {
        assert.deepEqual(await prefixed.service.getLinkService(NS, uid), { [SVC]: 20 + i });
      }
      // A write of another client to the prefixed key is seen too.
      await raw.set(`kp:${linkKey(keyUids[0])}`, '9');
      const seen = async () => (await prefixed.service.getLinkedPod(NS, keyUids[0], SVC)) === 9;
      await eventually('the other write is seen', seen, 2_000);
    } finally {
      await prefixed.close();
    }
  });
});
