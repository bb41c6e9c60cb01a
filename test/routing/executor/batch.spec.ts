import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NO_POD } from '../../../lib';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';

const NS = 'batch';
const SVC = 'svc';

describeOnTargets('batchGetLinkedPod', (target) => {
  const f = useTargetFixture(target);

  it('groups live links by pod, each uid once, in input order, without unlinked uids', async () => {
    await f.service.setLinkedPod(NS, 'c', SVC, 1, -1);
    await f.service.setLinkedPod(NS, 'a', SVC, 1, 60);
    await f.service.setLinkedPod(NS, 'b', SVC, 2, -1);
    const result = await f.service.batchGetLinkedPod(NS, ['a', 'x', 'b', 'c', 'a', 'b'], SVC);
    assert.deepEqual(result, { 1: ['a', 'c'], 2: ['b'] });
    assert.deepEqual(await f.service.batchGetLinkedPod(NS, [], SVC), {});
    assert.deepEqual(await f.service.batchGetLinkedPod(NS, ['nobody'], SVC), {});
  });

  it('answers for 100 000 uids in one call', async () => {
    const uids = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);
    const pipeline = f.raw.pipeline();
    // Every third uid is linked, to pod (i mod 7), as another implementation would write it.
    for (let i = 0; i < uids.length; i += 3) pipeline.set(`sf:{${NS}:lk:${uids[i]}}${SVC}`, String(i % 7));
    if (!f.raw.isCluster) await pipeline.exec();
    else for (let i = 0; i < uids.length; i += 3) await f.raw.set(`sf:{${NS}:lk:${uids[i]}}${SVC}`, String(i % 7));
    const result = await f.service.batchGetLinkedPod(NS, uids, SVC);
    const total = Object.values(result).reduce((sum, list) => sum + list.length, 0);
    assert.equal(total, 33_334);
    assert.equal(result[0][0], 'user-0');
    assert.equal(result[3][0], 'user-3');
    assert.equal(result[6][1], 'user-27');
    assert.ok(Object.keys(result).every((pod) => Number(pod) >= 0 && Number(pod) < 7));
  });

  it('answers as getLinkedPod does uid by uid: repeats once, missing and corrupt left out', async () => {
    const uids = Array.from({ length: 3_000 }, (_, i) => `m-${(i * 7) % 2_000}`);
    uids.push('never', 'm-5', 'never');
    const write = (uid: string, value: string) => f.raw.set(`sf:{${NS}:lk:${uid}}${SVC}`, value);
    for (let i = 0; i < 2_000; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => i + j)
          .filter((n) => n % 5 !== 4)
          .map((n) => write(`m-${n}`, n % 50 === 1 ? 'corrupt' : n % 50 === 2 ? '007' : String(n % 6))),
      );
    const expected: Record<number, string[]> = {};
    for (const uid of new Set(uids)) {
      const pod = await f.service.getLinkedPod(NS, uid, SVC);
      if (pod !== NO_POD) (expected[pod] ??= []).push(uid);
    }
    assert.ok(Object.keys(expected).length >= 6);
    assert.deepEqual(await f.service.batchGetLinkedPod(NS, uids, SVC), expected);
  });
});
