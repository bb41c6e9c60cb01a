import type { Cluster } from 'ioredis';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { NO_POD } from '../../../lib';
import { NearCache } from '../../../lib/routing/near-cache/near-cache';
import { ClusterTarget } from '../../harness/cluster-target';
import { startStatefulApp, StatefulApp } from '../../harness/stateful-app';

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

/** Reads every uid until each one is answered from the cache (a cluster channel opens on first use). */
async function warm(app: StatefulApp, cache: NearCache, uids: string[], expected: (uid: string) => number): Promise<void> {
  await eventually('every link is cached', async () => {
    for (const uid of uids) assert.equal(await app.service.getLinkedPod(NS, uid, SVC), expected(uid));
    const hits = cache.stats().hits;
    for (const uid of uids) await app.service.getLinkedPod(NS, uid, SVC);
    return cache.stats().hits - hits === uids.length;
  });
}

describe('near-cache on a Redis Cluster', () => {
  const target = new ClusterTarget();
  let app: StatefulApp;
  let raw: Cluster;
  let cache: NearCache;
  // Enough uids to land on every master.
  const uids = Array.from({ length: 30 }, (_, i) => `c${i}`);

  before(async () => {
    await target.start();
    app = await startStatefulApp({ ...target.moduleOptions(), nearCache: { maxEntries: 1_000 } });
    cache = app.app.get(NearCache);
    raw = target.rawClient();
  });

  after(async () => {
    raw?.disconnect();
    await app?.close();
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
    await eventually('the other writes are seen', async () => {
      for (const uid of uids) if ((await app.service.getLinkedPod(NS, uid, SVC)) !== 8) return false;
      return true;
    }, 2_000);
    assert.ok(cache.stats().invalidations >= uids.length);
  });

  it('never serves a temporary link after its TTL', async () => {
    for (const uid of uids) await raw.set(linkKey(uid), '3', 'PX', 400);
    await warm(app, cache, uids, () => 3);
    await sleep(420);
    for (const uid of uids) assert.equal(await app.service.getLinkedPod(NS, uid, SVC), NO_POD);
  });
});
