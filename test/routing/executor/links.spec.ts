import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NO_POD, StatefulExecutorService } from '../../../lib';
import { CapturingLogger } from '../../harness/capturing-logger';
import { describeOnTargets } from '../../harness/redis-target';
import { bootStatefulModule } from '../../harness/stateful-app';
import { useTargetFixture } from '../../harness/target-fixture';
import { sleep } from '../../harness/wait';

const NS = 'game';
const SVC = 'room-server';

describeOnTargets('link operations', (target) => {
  const f = useTargetFixture(target);

  it('setLinkedPod links unconditionally and returns the pod linked before', async () => {
    assert.equal(await f.service.setLinkedPod(NS, 'u1', SVC, 3, -1), NO_POD);
    assert.equal(await f.service.setLinkedPod(NS, 'u1', SVC, 5, -1), 3);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 5);
    assert.equal(await f.raw.ttl(`sf:{${NS}:lk:u1}${SVC}`), -1);
  });

  it('setLinkedPod with a TTL writes a temporary link that expires by itself', async () => {
    assert.equal(await f.service.setLinkedPod(NS, 'u1', SVC, 2, 1), NO_POD);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 2);
    assert.ok((await f.raw.pttl(`sf:{${NS}:lk:u1}${SVC}`)) > 0);
    await sleep(1_100);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), NO_POD);
    assert.deepEqual(await f.service.getLinkService(NS, 'u1'), {});
  });

  it('trySetLinkedPod refuses when another pod holds a persistent link', async () => {
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u1', SVC, 1, -1), { success: true, podId: 1 });
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u1', SVC, 2, -1), { success: false, podId: 1 });
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u1', SVC, 2, 60), { success: false, podId: 1 });
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 1);
  });

  it('trySetLinkedPod takes over a temporary link and re-links the same pod', async () => {
    await f.service.setLinkedPod(NS, 'u1', SVC, 1, 60);
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u1', SVC, 2, -1), { success: true, podId: 2 });
    assert.equal(await f.raw.ttl(`sf:{${NS}:lk:u1}${SVC}`), -1);
    // Same pod: the call succeeds and applies the new TTL.
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u1', SVC, 2, 30), { success: true, podId: 2 });
    const ttl = await f.raw.ttl(`sf:{${NS}:lk:u1}${SVC}`);
    assert.ok(ttl > 0 && ttl <= 30, `ttl ${ttl}`);
  });

  it('setLinkedPodIfAbsent links only without a live link, persistent or temporary', async () => {
    assert.equal(await f.service.setLinkedPodIfAbsent(NS, 'u1', SVC, 4, 60), 4);
    assert.equal(await f.service.setLinkedPodIfAbsent(NS, 'u1', SVC, 7, -1), 4);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 4);
    assert.equal(await f.service.setLinkedPodIfAbsent(NS, 'u2', SVC, 7, -1), 7);
    assert.equal(await f.service.setLinkedPodIfAbsent(NS, 'u2', SVC, 8, -1), 7);
  });

  it('getLinkedPodIfPersist answers only for persistent links', async () => {
    await f.service.setLinkedPod(NS, 'persistent', SVC, 3, -1);
    await f.service.setLinkedPod(NS, 'temporary', SVC, 4, 60);
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'persistent', SVC), 3);
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'temporary', SVC), NO_POD);
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'nobody', SVC), NO_POD);
  });

  it('getLinkedPod returns NO_POD without a link', async () => {
    assert.equal(await f.service.getLinkedPod(NS, 'nobody', SVC), NO_POD);
  });

  it('removeLinkedPod deletes at once with persistSeconds <= 0 and reports whether a link existed', async () => {
    await f.service.setLinkedPod(NS, 'u1', SVC, 3, -1);
    assert.equal(await f.service.removeLinkedPod(NS, 'u1', SVC, 0), true);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), NO_POD);
    assert.equal(await f.service.removeLinkedPod(NS, 'u1', SVC, 0), false);
    await f.service.setLinkedPod(NS, 'u2', SVC, 3, -1);
    assert.equal(await f.service.removeLinkedPod(NS, 'u2', SVC, -5), true);
    assert.equal(await f.service.getLinkedPod(NS, 'u2', SVC), NO_POD);
  });

  it('removeLinkedPod with a linger window keeps a temporary link another pod may take over', async () => {
    await f.service.setLinkedPod(NS, 'u1', SVC, 3, -1);
    assert.equal(await f.service.removeLinkedPod(NS, 'u1', SVC, 1), true);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 3);
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'u1', SVC), NO_POD);
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u2-other', SVC, 9, -1), { success: true, podId: 9 });
    await sleep(1_100);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), NO_POD);
    assert.deepEqual(await f.target.keys(`sf:{${NS}:lk:u1}*`), []);
  });

  it('a reconnect within the linger window goes back to the same pod; another pod may take the user over', async () => {
    await f.service.setLinkedPod(NS, 'u1', SVC, 3, -1);
    await f.service.removeLinkedPod(NS, 'u1', SVC, 60);
    assert.equal(await f.service.setLinkedPodIfAbsent(NS, 'u1', SVC, 5, -1), 3);
    await f.service.removeLinkedPod(NS, 'u1', SVC, 60);
    assert.deepEqual(await f.service.trySetLinkedPod(NS, 'u1', SVC, 5, -1), { success: true, podId: 5 });
  });

  it('removeLinkedPodWithId removes only when the link points at the pod', async () => {
    await f.service.setLinkedPod(NS, 'u1', SVC, 3, -1);
    assert.equal(await f.service.removeLinkedPodWithId(NS, 'u1', SVC, 0, 4), false);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 3);
    assert.equal(await f.service.removeLinkedPodWithId(NS, 'u1', SVC, 30, 3), true);
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'u1', SVC), NO_POD);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 3);
    assert.equal(await f.service.removeLinkedPodWithId(NS, 'u1', SVC, 0, 3), true);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), NO_POD);
    assert.equal(await f.service.removeLinkedPodWithId(NS, 'u1', SVC, 0, 3), false);
  });

  it('getLinkService lists every live link of a uid', async () => {
    await f.service.setLinkedPod(NS, 'u1', 'chat', 1, -1);
    await f.service.setLinkedPod(NS, 'u1', 'game', 2, 60);
    await f.service.setLinkedPod(NS, 'u1', '__proto__', 3, -1);
    await f.service.setLinkedPod(NS, 'u2', 'chat', 9, -1);
    const links = await f.service.getLinkService(NS, 'u1');
    assert.deepEqual({ ...links }, { chat: 1, game: 2, ['__proto__']: 3 });
    assert.equal(Object.keys(links).length, 3);
    assert.deepEqual(await f.service.getLinkService(NS, 'nobody'), {});
  });

  it('namespaces and services are independent', async () => {
    await f.service.setLinkedPod('ns-a', 'u1', SVC, 1, -1);
    await f.service.setLinkedPod('ns-b', 'u1', SVC, 2, -1);
    await f.service.setLinkedPod('ns-a', 'u1', 'other', 3, -1);
    assert.equal(await f.service.getLinkedPod('ns-a', 'u1', SVC), 1);
    assert.equal(await f.service.getLinkedPod('ns-b', 'u1', SVC), 2);
    assert.deepEqual(await f.service.getLinkService('ns-a', 'u1'), { [SVC]: 1, other: 3 });
  });

  it('writes the wire format: uid hash and per-service string keys', async () => {
    await f.service.setLinkedPod(NS, 'u1', SVC, 3, -1);
    await f.service.setLinkedPod(NS, 'u1', 'chat', 4, 60);
    assert.equal(await f.raw.get(`sf:{${NS}:lk:u1}${SVC}`), '3');
    assert.equal(await f.raw.get(`sf:{${NS}:lk:u1}chat`), '4');
    assert.deepEqual(await f.raw.hgetall(`sf:{${NS}:lk:u1}`), { [SVC]: '3', chat: '4' });
  });

  it('accepts the extreme valid values', async () => {
    const long = 'x'.repeat(512);
    const namespace = 'n'.repeat(253);
    assert.equal(await f.service.setLinkedPod(namespace, long, long, 2 ** 31 - 1, 2 ** 31 - 1), NO_POD);
    assert.equal(await f.service.getLinkedPod(namespace, long, long), 2 ** 31 - 1);
    assert.equal(await f.service.setLinkedPod(NS, 'ünï-😀:id', 'svc:with:colons', 0, -1), NO_POD);
    assert.deepEqual(await f.service.getLinkService(NS, 'ünï-😀:id'), { 'svc:with:colons': 0 });
  });

  it('treats a stored value that is not a canonical pod id as a corrupt entry on every path', async () => {
    // What another implementation or a manual fix may leave; "0" and "2147483647" are the canonical extremes.
    const corrupt = ['01', '', ' 1', '1 ', '1.0', '-1', '+1', '1e3', '0x1', 'abc', '2147483648', '99999999999'];
    await f.service.setServiceState(NS, SVC, 4, 'running');
    await f.service.setLinkedPod(NS, 'healthy', SVC, 7, -1);
    const logger = new CapturingLogger();
    const moduleRef = await bootStatefulModule(f.target.moduleOptions(), { logger });
    const service = moduleRef.get(StatefulExecutorService);
    const problems: string[] = [];
    // Every path is checked and every mismatch or rejection listed, rather than stopping at the first one.
    const expect = async (what: string, call: Promise<unknown>, expected: unknown) => {
      const actual = await call.then(
        (value) => JSON.stringify(value),
        (error: Error & { code?: string }) => `rejected ${error.code}: ${error.message}`,
      );
      if (actual !== JSON.stringify(expected))
        problems.push(`${what}: ${actual}, expected ${JSON.stringify(expected)}`);
    };
    try {
      for (const [index, value] of corrupt.entries()) {
        const uid = `corrupt-${index}`;
        const hashKey = `sf:{${NS}:lk:${uid}}`;
        const linkKey = `${hashKey}${SVC}`;
        const store = async () => {
          await f.raw.hset(hashKey, SVC, value, 'chat', '2');
          await f.raw.set(linkKey, value);
          await f.raw.set(`${hashKey}chat`, '2');
        };
        const stored = `"${value}"`;
        await store();
        logger.clear();
        await expect(`getLinkedPod of ${stored}`, service.getLinkedPod(NS, uid, SVC), NO_POD);
        await expect(`warning naming ${linkKey}`, Promise.resolve(logger.find('warn', linkKey).length > 0), true);
        await expect(`getLinkedPodIfPersist of ${stored}`, service.getLinkedPodIfPersist(NS, uid, SVC), NO_POD);
        await expect(`batchGetLinkedPod of ${stored}`, service.batchGetLinkedPod(NS, [uid, 'healthy'], SVC), {
          7: ['healthy'],
        });
        await expect(
          `getLinkService of ${stored}`,
          service.getLinkService(NS, uid).then((links) => ({ ...links })),
          { chat: 2 },
        );
        // The pod a lenient reader would see in it ("01" -> 1, "" -> 0): no compare-and-delete matches it.
        const lenient = Number(value);
        const lookalike = Number.isInteger(lenient) && lenient >= 0 && lenient < 2 ** 31 ? lenient : 0;
        await expect(
          `removeLinkedPodWithId(${lookalike}) of ${stored}`,
          service.removeLinkedPodWithId(NS, uid, SVC, 0, lookalike),
          false,
        );
        await expect(`value after removeLinkedPodWithId of ${stored}`, f.raw.get(linkKey), value);
        await expect(`trySetLinkedPod over ${stored}`, service.trySetLinkedPod(NS, uid, SVC, 1, -1), {
          success: true,
          podId: 1,
        });
        await expect(
          `link after trySetLinkedPod over ${stored}`,
          Promise.all([f.raw.get(linkKey), f.raw.hget(hashKey, SVC)]),
          ['1', '1'],
        );
        await store();
        await expect(`setLinkedPodIfAbsent over ${stored}`, service.setLinkedPodIfAbsent(NS, uid, SVC, 3, -1), 3);
        await expect(`link after setLinkedPodIfAbsent over ${stored}`, f.raw.get(linkKey), '3');
        await store();
        await expect(`computeLinkedPodIfAbsent over ${stored}`, service.computeLinkedPodIfAbsent(NS, uid, SVC, -1), 4);
        await expect(`link after computeLinkedPodIfAbsent over ${stored}`, f.raw.get(linkKey), '4');
        await store();
        await expect(`setLinkedPod over ${stored} (pod before)`, service.setLinkedPod(NS, uid, SVC, 5, 60), NO_POD);
        await expect(
          `links after setLinkedPod over ${stored}`,
          service.getLinkService(NS, uid).then((links) => ({ ...links })),
          { [SVC]: 5, chat: 2 },
        );
      }
    } finally {
      await moduleRef.close();
    }
    assert.deepEqual(problems, []);
  });
});
