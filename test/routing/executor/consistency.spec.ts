import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NO_POD, StatefulExecutorService } from '../../../lib';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';
import { sleep } from '../../harness/wait';

const NS = 'race';
const SVC = 'svc';

/** Every key of a uid with its TTL: the state a retried call must reproduce. */
async function uidState(f: ReturnType<typeof useTargetFixture>, uid: string) {
  const hashKey = `sf:{${NS}:lk:${uid}}`;
  const [hash, link, hashTtl, linkTtl] = await Promise.all([
    f.raw.hgetall(hashKey),
    f.raw.get(`${hashKey}${SVC}`),
    f.raw.ttl(hashKey),
    f.raw.ttl(`${hashKey}${SVC}`),
  ]);
  // TTLs are compared by kind (none / running), not by the second they were read at.
  const kind = (ttl: number) => (ttl === -1 ? 'persistent' : ttl === -2 ? 'absent' : 'temporary');
  return { hash, link, hashTtl: kind(hashTtl), linkTtl: kind(linkTtl) };
}

/** PTTLs of keys of one slot, read in one MULTI: the same instant, however slow the replies. */
async function pttlsAtOnce(f: ReturnType<typeof useTargetFixture>, ...keys: string[]): Promise<number[]> {
  const transaction = f.raw.multi();
  for (const key of keys) transaction.pttl(key);
  const replies = (await transaction.exec()) as Array<[Error | null, number]>;
  return replies.map(([error, pttl]) => {
    if (error) throw error;
    return pttl;
  });
}

describeOnTargets('consistency rules', (target) => {
  const f = useTargetFixture(target);

  it('rule 1: concurrent persistent trySet / setIfAbsent / compute from two processes agree on one pod', async () => {
    for (let pod = 0; pod < 8; pod++) await f.service.setServiceState(NS, SVC, pod, 'running');
    for (let round = 0; round < 30; round++) {
      const uid = `user-${round}`;
      const callers: Array<Promise<number>> = [];
      for (let i = 0; i < 24; i++) {
        const service: StatefulExecutorService = i % 2 === 0 ? f.service : f.otherService;
        const pod = i % 8;
        if (i % 3 === 0) callers.push(service.trySetLinkedPod(NS, uid, SVC, pod, -1).then((r) => r.podId));
        else if (i % 3 === 1) callers.push(service.setLinkedPodIfAbsent(NS, uid, SVC, pod, -1));
        else callers.push(service.computeLinkedPodIfAbsent(NS, uid, SVC, -1));
      }
      const told = new Set(await Promise.all(callers));
      assert.equal(told.size, 1, `round ${round}: callers were told ${[...told].join(', ')}`);
      assert.equal(await f.service.getLinkedPod(NS, uid, SVC), [...told][0]);
    }
  });

  it('rule 1: exactly one concurrent trySetLinkedPod wins a persistent link', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? f.service : f.otherService).trySetLinkedPod(NS, 'contested', SVC, i, -1),
      ),
    );
    const winners = results.filter((result) => result.success);
    assert.equal(winners.length, 1);
    assert.ok(results.every((result) => result.podId === winners[0].podId));
  });

  it('rule 1 leaves out temporary links: concurrent trySetLinkedPod calls with a TTL may each succeed', async () => {
    // SPEC's table: a temporary link may be taken over, so each call finds none or a temporary one and succeeds.
    const pods = Array.from({ length: 40 }, (_, i) => i);
    const results = await Promise.all(
      pods.map((pod) => (pod % 2 ? f.service : f.otherService).trySetLinkedPod(NS, 'temp', SVC, pod, 300)),
    );
    assert.deepEqual(
      results,
      pods.map((pod) => ({ success: true, podId: pod })),
    );
    const linked = await f.service.getLinkedPod(NS, 'temp', SVC);
    assert.ok(pods.includes(linked), `linked to ${linked}`);
    assert.equal(await f.raw.hget(`sf:{${NS}:lk:temp}`, SVC), String(linked));
    assert.ok((await f.raw.pttl(`sf:{${NS}:lk:temp}${SVC}`)) > 0, 'the link stays temporary');
  });

  it('rule 1 leaves out temporary links: the last trySetLinkedPod with a TTL to run is the link', async () => {
    // One connection runs its commands in the order sent, so the last call sent is the last to run.
    const calls = [3, 1, 4, 1, 5].map((pod) => f.service.trySetLinkedPod(NS, 'ordered', SVC, pod, 300));
    const results = await Promise.all(calls);
    assert.ok(results.every((result) => result.success));
    assert.equal(await f.otherService.getLinkedPod(NS, 'ordered', SVC), 5);
    assert.deepEqual(await f.otherService.getLinkService(NS, 'ordered'), { [SVC]: 5 });
    // Once one of them writes a persistent link, the next temporary one is refused (rule 1 again).
    const [persistent, refused] = await Promise.all([
      f.service.trySetLinkedPod(NS, 'ordered', SVC, 9, -1),
      f.service.trySetLinkedPod(NS, 'ordered', SVC, 2, 300),
    ]);
    assert.deepEqual(persistent, { success: true, podId: 9 });
    assert.deepEqual(refused, { success: false, podId: 9 });
  });

  it('rule 1: concurrent computes count exactly one new user', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? f.service : f.otherService).computeLinkedPodIfAbsent(NS, 'one', SVC, -1),
      ),
    );
    assert.equal(await f.raw.hget(`sf:{${NS}:state:${SVC}}weight`, '0'), '1');
  });

  it('rule 2: getLinkService and getLinkedPod agree through every kind of write', async () => {
    const services = ['a', 'b', 'c'];
    const check = async () => {
      const links = await f.service.getLinkService(NS, 'u');
      for (const service of services) {
        const pod = await f.service.getLinkedPod(NS, 'u', service);
        assert.equal(links[service] ?? NO_POD, pod, `service ${service}`);
      }
    };
    await f.service.setLinkedPod(NS, 'u', 'a', 1, -1);
    await check();
    await f.service.setLinkedPod(NS, 'u', 'b', 2, 1);
    await check();
    await f.service.trySetLinkedPod(NS, 'u', 'c', 3, -1);
    await check();
    await f.service.removeLinkedPod(NS, 'u', 'a', 0);
    await check();
    await f.service.removeLinkedPodWithId(NS, 'u', 'c', 1, 3);
    await check();
    await sleep(1_100);
    await check();
    assert.deepEqual(await f.service.getLinkService(NS, 'u'), {});
  });

  it('rule 3: the uid hash has no TTL while a persistent link exists, else the longest temporary TTL', async () => {
    const hashKey = `sf:{${NS}:lk:u}`;
    await f.service.setLinkedPod(NS, 'u', 'short', 1, 100);
    // Both PTTLs read in one MULTI, so that the comparison does not depend on how fast the reads come back.
    const [hashPttl, linkPttl] = await pttlsAtOnce(f, hashKey, `${hashKey}short`);
    assert.ok(linkPttl > 0 && linkPttl <= 100_000, `link pttl ${linkPttl}`);
    assert.ok(hashPttl >= linkPttl, `hash pttl ${hashPttl} shorter than its link's ${linkPttl}`);
    await f.service.setLinkedPod(NS, 'u', 'long', 1, 1_000);
    const hashTtl = await f.raw.ttl(hashKey);
    assert.ok(hashTtl > 900 && hashTtl <= 1_000, `hash ttl ${hashTtl}`);
    await f.service.setLinkedPod(NS, 'u', 'forever', 1, -1);
    assert.equal(await f.raw.ttl(hashKey), -1);
    await f.service.removeLinkedPod(NS, 'u', 'forever', 0);
    const afterRemove = await f.raw.ttl(hashKey);
    assert.ok(afterRemove > 900 && afterRemove <= 1_000, `hash ttl ${afterRemove}`);
    await f.service.removeLinkedPod(NS, 'u', 'long', 0);
    // Back to the one temporary link left: a TTL of its length (-1 and -2, no TTL or no key, are wrong too).
    const [finalHashPttl, shortPttl] = await pttlsAtOnce(f, hashKey, `${hashKey}short`);
    assert.ok(shortPttl > 0, `link pttl ${shortPttl}`);
    assert.ok(finalHashPttl >= shortPttl && finalHashPttl <= 100_000, `hash pttl ${finalHashPttl}, link ${shortPttl}`);
    assert.deepEqual(await f.raw.hgetall(hashKey), { short: '1' });
  });

  it('rule 3: no key outlives its links, removed or expired', async () => {
    await f.service.setLinkedPod(NS, 'u1', 'a', 1, -1);
    await f.service.setLinkedPod(NS, 'u1', 'b', 2, -1);
    await f.service.removeLinkedPod(NS, 'u1', 'a', 0);
    await f.service.removeLinkedPodWithId(NS, 'u1', 'b', 0, 2);
    await f.service.setLinkedPod(NS, 'u2', 'a', 1, 1);
    await f.service.setLinkedPod(NS, 'u3', 'a', 1, -1);
    await f.service.removeLinkedPod(NS, 'u3', 'a', 1);
    await f.service.computeLinkedPodIfAbsent(NS, 'u4', 'a', 1, { states: ['none'] });
    await sleep(1_200);
    assert.deepEqual(await f.target.keys(`sf:{${NS}:lk:*`), []);
  });

  it('rule 4: retrying a write gives the same end state as one call', async () => {
    type Write = (service: StatefulExecutorService, uid: string) => Promise<unknown>;
    const writes: Record<string, Write> = {
      setLinkedPod: (s, uid) => s.setLinkedPod(NS, uid, SVC, 3, -1),
      setLinkedPodTemporary: (s, uid) => s.setLinkedPod(NS, uid, SVC, 3, 300),
      trySetLinkedPod: (s, uid) => s.trySetLinkedPod(NS, uid, SVC, 4, -1),
      setLinkedPodIfAbsent: (s, uid) => s.setLinkedPodIfAbsent(NS, uid, SVC, 5, 300),
      removeLinkedPod: (s, uid) => s.removeLinkedPod(NS, uid, SVC, 0),
      removeLinkedPodLinger: (s, uid) => s.removeLinkedPod(NS, uid, SVC, 300),
      removeLinkedPodWithId: (s, uid) => s.removeLinkedPodWithId(NS, uid, SVC, 300, 1),
    };
    for (const [name, write] of Object.entries(writes)) {
      const once = `once-${name}`;
      const twice = `twice-${name}`;
      for (const uid of [once, twice]) await f.service.setLinkedPod(NS, uid, SVC, 1, -1);
      await write(f.service, once);
      await write(f.service, twice);
      await write(f.otherService, twice);
      assert.deepEqual(await uidState(f, twice), await uidState(f, once), name);
    }
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setPodWeight(NS, SVC, 0, 7);
    await f.service.setPodWeight(NS, SVC, 0, 7);
    await f.service.setServiceState(NS, SVC, 0, 'draining');
    await f.service.setServiceState(NS, SVC, 0, 'draining');
    assert.deepEqual(await f.raw.hgetall(`sf:{${NS}:state:${SVC}}weight`), { 0: '7' });
    assert.deepEqual(await f.service.getServiceState(NS, SVC), { 0: 'draining' });
  });

  it('rule 5: links written by the library read back with plain GET / HGETALL', async () => {
    await f.service.setLinkedPod(NS, 'java-reader', 'chat', 12, -1);
    await f.service.computeLinkedPodIfAbsent(NS, 'java-reader', 'game', 60, { states: ['none'] });
    assert.equal(await f.raw.get(`sf:{${NS}:lk:java-reader}chat`), '12');
    assert.deepEqual(await f.raw.hgetall(`sf:{${NS}:lk:java-reader}`), { chat: '12' });
  });

  it('rule 5: links written with plain SET / HSET (Java, Go) are read by the library', async () => {
    const hashKey = `sf:{${NS}:lk:go-writer}`;
    await f.raw.hset(hashKey, 'chat', '7', 'game', '9');
    await f.raw.set(`${hashKey}chat`, '7');
    await f.raw.set(`${hashKey}game`, '9', 'EX', 60);
    assert.equal(await f.service.getLinkedPod(NS, 'go-writer', 'chat'), 7);
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'go-writer', 'game'), NO_POD);
    assert.deepEqual(await f.service.getLinkService(NS, 'go-writer'), { chat: 7, game: 9 });
    assert.deepEqual(await f.service.batchGetLinkedPod(NS, ['go-writer'], 'chat'), { 7: ['go-writer'] });
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'go-writer', 'chat', 1, -1), { success: false, podId: 7 });
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'go-writer', 'game', 1, -1), { success: true, podId: 1 });
    assert.equal(await f.service.removeLinkedPodWithId(NS, 'go-writer', 'chat', 0, 7), true);
    assert.deepEqual(await f.raw.hgetall(hashKey), { game: '1' });
    await f.raw.hset(`sf:{${NS}:state:${SVC}}`, '3', 'running');
    await f.raw.hset(`sf:{${NS}:state:${SVC}}weight`, '3', '5');
    assert.deepEqual(await f.service.getServiceState(NS, SVC), { 3: 'running' });
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'new', SVC, -1), 3);
    assert.equal(await f.raw.hget(`sf:{${NS}:state:${SVC}}weight`, '3'), '6');
  });

  it('a stored value that is not a pod id is a corrupt entry: reads answer NO_POD, a write overwrites it', async () => {
    const linkKey = `sf:{${NS}:lk:corrupt}${SVC}`;
    for (const stored of ['not-a-pod', '', '01', '-1', String(2 ** 31)]) {
      await f.raw.set(linkKey, stored);
      await f.raw.hset(`sf:{${NS}:lk:corrupt}`, SVC, stored);
      assert.equal(await f.service.getLinkedPod(NS, 'corrupt', SVC), NO_POD, `stored ${JSON.stringify(stored)}`);
      assert.equal(await f.service.setLinkedPod(NS, 'corrupt', SVC, 4, -1), NO_POD, `stored ${JSON.stringify(stored)}`);
      assert.equal(await f.raw.get(linkKey), '4');
      assert.equal(await f.service.getLinkedPod(NS, 'corrupt', SVC), 4);
    }
  });
});
