import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NO_POD } from '../../../lib';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';

const NS = 'game';
const SVC = 'room-server';

describeOnTargets('pod and workload state', (target) => {
  const f = useTargetFixture(target);

  it('setServiceState / getServiceState keep one state per pod', async () => {
    assert.deepEqual(await f.service.getServiceState(NS, SVC), {});
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setServiceState(NS, SVC, 1, 'running');
    await f.service.setServiceState(NS, SVC, 1, 'draining');
    assert.deepEqual(await f.service.getServiceState(NS, SVC), { 0: 'running', 1: 'draining' });
    assert.deepEqual(await f.raw.hgetall(`sf:{${NS}:state:${SVC}}`), { 0: 'running', 1: 'draining' });
  });

  it('setWorkloadState / getWorkloadState leave out unknown services', async () => {
    await f.service.setWorkloadState(NS, 'a', 'scaling');
    await f.service.setWorkloadState(NS, 'b', 'stable');
    await f.service.setWorkloadState(NS, 'b', 'frozen');
    assert.deepEqual(await f.service.getWorkloadState(NS, ['a', 'b', 'unknown', 'a']), { a: 'scaling', b: 'frozen' });
    assert.deepEqual(await f.service.getWorkloadState(NS, []), {});
    assert.equal(await f.raw.get(`sf:{${NS}:workload:a}`), 'scaling');
  });

  it('getWorkloadState reads many services across slots', async () => {
    const services = Array.from({ length: 5_000 }, (_, i) => `svc-${i}`);
    for (let i = 0; i < services.length; i += 2) await f.raw.set(`sf:{${NS}:workload:${services[i]}}`, `s${i}`);
    const states = await f.service.getWorkloadState(NS, services);
    assert.equal(Object.keys(states).length, 2_500);
    assert.equal(states['svc-4998'], 's4998');
    assert.equal(states['svc-1'], undefined);
  });

  it('setPodWeight stores the reported load; removePod forgets state and weight but keeps links', async () => {
    await f.service.setServiceState(NS, SVC, 2, 'running');
    await f.service.setPodWeight(NS, SVC, 2, 42);
    assert.equal(await f.raw.hget(`sf:{${NS}:state:${SVC}}weight`, '2'), '42');
    await f.service.setLinkedPod(NS, 'u1', SVC, 2, -1);
    await f.service.removePod(NS, SVC, 2);
    assert.deepEqual(await f.service.getServiceState(NS, SVC), {});
    assert.equal(await f.raw.hget(`sf:{${NS}:state:${SVC}}weight`, '2'), null);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), 2);
  });

  it('computeLinkedPodIfAbsent returns NO_POD when no pod is routable', async () => {
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u1', SVC, -1), NO_POD);
    await f.service.setServiceState(NS, SVC, 0, 'draining');
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u1', SVC, -1), NO_POD);
    assert.equal(await f.service.getLinkedPod(NS, 'u1', SVC), NO_POD);
  });

  it('computeLinkedPodIfAbsent places on the lowest weight among routable pods and counts the user', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setServiceState(NS, SVC, 1, 'running');
    await f.service.setServiceState(NS, SVC, 2, 'draining');
    await f.service.setPodWeight(NS, SVC, 0, 10);
    await f.service.setPodWeight(NS, SVC, 1, 3);
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u1', SVC, -1), 1);
    assert.equal(await f.raw.hget(`sf:{${NS}:state:${SVC}}weight`, '1'), '4');
    assert.equal(await f.service.getLinkedPodIfPersist(NS, 'u1', SVC), 1);
    // An existing link is returned unchanged and not counted again.
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u1', SVC, -1), 1);
    assert.equal(await f.raw.hget(`sf:{${NS}:state:${SVC}}weight`, '1'), '4');
  });

  it('computeLinkedPodIfAbsent fills the least-loaded pods first, without weights counting as 0', async () => {
    for (const pod of [0, 1, 2]) await f.service.setServiceState(NS, SVC, pod, 'running');
    await f.service.setPodWeight(NS, SVC, 0, 2);
    const placed: number[] = [];
    for (let i = 0; i < 7; i++) placed.push(await f.service.computeLinkedPodIfAbsent(NS, `user-${i}`, SVC, -1));
    const counts = [0, 1, 2].map((pod) => placed.filter((p) => p === pod).length);
    // Pods 1 and 2 start at 0: each takes 2 users before pod 0 (weight 2) competes; 9 in total, 3 each.
    assert.deepEqual(counts, [1, 3, 3]);
    assert.deepEqual(await f.raw.hgetall(`sf:{${NS}:state:${SVC}}weight`), { 0: '3', 1: '3', 2: '3' });
  });

  it('computeLinkedPodIfAbsent spreads ties by uid, deterministically', async () => {
    for (let pod = 0; pod < 4; pod++) await f.service.setServiceState(NS, SVC, pod, 'running');
    const chosen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const pod = await f.service.computeLinkedPodIfAbsent(NS, `tie-${i}`, SVC, 60);
      chosen.add(pod);
      // Restore equal weights so that every placement is a tie.
      for (let p = 0; p < 4; p++) await f.service.setPodWeight(NS, SVC, p, 0);
      await f.service.removeLinkedPod(NS, `tie-${i}`, SVC, 0);
      assert.equal(await f.service.computeLinkedPodIfAbsent(NS, `tie-${i}`, SVC, 60), pod, 'same uid, same pod');
      for (let p = 0; p < 4; p++) await f.service.setPodWeight(NS, SVC, p, 0);
    }
    assert.equal(chosen.size, 4);
  });

  it('computeLinkedPodIfAbsent honours options.states and the TTL', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setServiceState(NS, SVC, 5, 'warm');
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u1', SVC, 30, { states: ['warm'] }), 5);
    const ttl = await f.raw.ttl(`sf:{${NS}:lk:u1}${SVC}`);
    assert.ok(ttl > 0 && ttl <= 30);
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u2', SVC, -1, { states: ['cold'] }), NO_POD);
  });

  it('computeLinkedPodIfAbsent does not count a user on a pod removed meanwhile', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setLinkedPod(NS, 'u1', SVC, 0, 60);
    await f.service.removePod(NS, SVC, 0);
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'u1', SVC, -1), 0);
    assert.equal(await f.raw.exists(`sf:{${NS}:state:${SVC}}weight`), 0);
  });
});
