import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatefulExecutorService } from '../../../lib';
import { ReplyDroppingProxy } from '../../harness/reply-dropping-proxy';
import type { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { startStatefulApp, type StatefulApp } from '../../harness/stateful-app';
import { sleep } from '../../harness/wait';

/*
 * Issue 18 review: a pod that comes back while a sweep batch of its links is on the network. The sweep's guard
 * counted the batch and said "still marked"; its removals travel late (held by a proxy). The pod reports, learns
 * of the sweep, and follows the README's pattern: it waits `reclaimInMs`, then re-links its users. Whichever
 * comes first — the late removals, or the re-links — every user ends linked to the pod (removals after the
 * batch's settle time are refused by Redis).
 */

const NS = 'reclaim';
const SVC = 'game';
const POD = 1;
const USERS = 60;

let server: RedisServer;
useRedisServer((started) => (server = started));

describe('a pod that comes back while a sweep batch is in flight', () => {
  let proxy: ReplyDroppingProxy;
  let sweeperApp: StatefulApp;
  let podApp: StatefulApp;
  let sweeper: StatefulExecutorService;
  let pod: StatefulExecutorService;

  before(async () => {
    proxy = await ReplyDroppingProxy.start(server.port);
    sweeperApp = await startStatefulApp({ redis: `redis://127.0.0.1:${proxy.port}`, metrics: false });
    podApp = await startStatefulApp({ redis: server.url, metrics: false });
    sweeper = sweeperApp.service;
    pod = podApp.service;
  });
  after(async () => {
    await sweeperApp?.close();
    await podApp?.close();
    await proxy?.close();
  });

  for (const holdMs of [300, 3_000]) {
    const when = holdMs < 2_000 ? 'before the pod re-links' : 'after the batch settled';
    it(`keeps every user the pod re-links per the README's pattern (removals land ${when})`, async () => {
      const uids = Array.from({ length: USERS }, (_, i) => `${holdMs}-u${i}`);
      await pod.setServiceState(NS, SVC, POD, 'running');
      for (const uid of uids) await pod.setLinkedPod(NS, uid, SVC, POD, -1);
      await sleep(300);
      const [mark] = await sweeper.markSilentPods(NS, SVC, 200);
      assert.equal(mark?.podId, POD);
      // The batch's guard goes through; the removals after it are late on the network.
      const heldBefore = proxy.heldAfter;
      proxy.holdAfter('\r\n$5\r\nbatch\r\n', holdMs);
      const sweep = sweeper.removePodLinks(NS, SVC, POD, { mark }).catch((error: Error) => error);
      for (let i = 0; i < 200 && proxy.heldAfter === heldBefore; i++) await sleep(10);
      assert.ok(proxy.heldAfter > heldBefore, 'the guard was sent');
      await sleep(50);

      const notice = await pod.heartbeat(NS, SVC, POD);
      assert.ok(notice && notice.linksRemoved > 0, `the pod learns of the batch: ${JSON.stringify(notice)}`);
      assert.ok(notice.reclaimInMs > 0, 'and that removals may still be on their way');
      await sleep(notice.reclaimInMs);
      for (const uid of uids) assert.equal((await pod.trySetLinkedPod(NS, uid, SVC, POD, -1)).success, true);
      await sweep;
      await sleep(holdMs);

      const linked = (await pod.batchGetLinkedPod(NS, uids, SVC))[POD] ?? [];
      assert.equal(linked.length, USERS, `users the pod re-linked and lost: ${USERS - linked.length}`);
    });
  }
});
