import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { NO_POD, type StatefulExecutorService } from '../../../lib';
import { describeOnStandaloneAndCluster } from '../../harness/standalone-and-cluster';
import { startStatefulApp, type StatefulApp } from '../../harness/stateful-app';
import { useTargetFixture } from '../../harness/target-fixture';

const NS = 'live';
const SVC = 'room-server';
const TIMEOUT_MS = 60_000;
const states = `sf:{${NS}:state:${SVC}}`;
const weights = `sf:{${NS}:state:${SVC}}weight`;
const seen = `sf:{${NS}:state:${SVC}}seen`;

describeOnStandaloneAndCluster('pod liveness', (target) => {
  const f = useTargetFixture(target, { podLiveness: { timeoutMs: TIMEOUT_MS } });
  /** An app without the podLiveness option. */
  let plain: StatefulApp;
  before(async () => {
    plain = await startStatefulApp(target.moduleOptions());
  });
  after(() => plain?.close());

  /** Redis TIME in ms, the clock liveness is judged by. */
  async function redisNow(): Promise<number> {
    const [seconds, micros] = await f.raw.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Makes the pod's last report older than the timeout, as if it had gone silent a minute ago. */
  async function silence(podId: number): Promise<void> {
    await f.raw.hset(seen, String(podId), String((await redisNow()) - TIMEOUT_MS - 1_000));
  }

  async function place(service: StatefulExecutorService, uids: string[]): Promise<number[]> {
    const pods: number[] = [];
    for (const uid of uids) pods.push(await service.computeLinkedPodIfAbsent(NS, uid, SVC, -1));
    return pods;
  }

  const users = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}-${i}`);

  it('every pod report records the Redis time of the report', async () => {
    const before = await redisNow();
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setPodWeight(NS, SVC, 1, 4);
    await f.service.heartbeat(NS, SVC, 2);
    const after = await redisNow();
    const recorded = await f.raw.hgetall(seen);
    assert.deepEqual(Object.keys(recorded).sort(), ['0', '1', '2']);
    for (const ms of Object.values(recorded)) assert.ok(Number(ms) >= before && Number(ms) <= after, ms);
    // The existing keys keep their exact format.
    assert.deepEqual(await f.raw.hgetall(states), { 0: 'running' });
    assert.deepEqual(await f.raw.hgetall(weights), { 1: '4' });
  });

  it('a state written on behalf of a pod ({ asPodReport: false }) is not a report: its liveness is left as it is', async () => {
    // A Java pod (no liveness entry) drained by an operator stays a pod without liveness entry: never silent.
    await f.raw.hset(states, '5', 'running');
    await f.service.setServiceState(NS, SVC, 5, 'draining', { asPodReport: false });
    await f.service.batchSetServiceState(NS, { [SVC]: { 6: 'running' } }, { asPodReport: false });
    assert.deepEqual(await f.raw.hgetall(states), { 5: 'draining', 6: 'running' });
    assert.deepEqual(await f.raw.hgetall(seen), {});
    // A silent pod set running by a controller still looks silent.
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await silence(0);
    const silentSince = await f.raw.hget(seen, '0');
    await f.service.setServiceState(NS, SVC, 0, 'running', { asPodReport: false });
    await f.service.batchSetServiceState(NS, { [SVC]: { 0: 'running' } }, { asPodReport: false });
    assert.equal(await f.raw.hget(seen, '0'), silentSince);
    assert.deepEqual(
      (await f.service.getPods(NS, SVC)).map(({ podId, live }) => [podId, live]),
      [
        [0, false],
        [5, true],
        [6, true],
      ],
    );
    // The same call as a report of the pods records it.
    await f.service.batchSetServiceState(NS, { [SVC]: { 6: 'running' } }, { asPodReport: true });
    assert.ok((await f.raw.hget(seen, '6')) !== null);
  });

  it('computeLinkedPodIfAbsent skips a silent pod and takes it back at its next report', async () => {
    for (const pod of [0, 1, 2]) await f.service.setServiceState(NS, SVC, pod, 'running');
    await silence(1);
    // Without the option, the silent pod takes its share: the check below could fail.
    assert.ok((await place(plain.service, users('plain', 12))).includes(1));
    for (const pod of [0, 1, 2]) await f.service.setPodWeight(NS, SVC, pod, 0);
    await silence(1);
    const placed = await place(f.service, users('live', 20));
    assert.ok(!placed.includes(1), `placed on the silent pod: ${placed.join(',')}`);
    assert.deepEqual([...new Set(placed)].sort(), [0, 2]);
    // A heartbeat readmits it: the least loaded, it takes the next users.
    await f.service.heartbeat(NS, SVC, 1);
    assert.deepEqual(await place(f.otherService, users('back', 3)), [1, 1, 1]);
    // So does a weight report.
    await silence(1);
    assert.notEqual(await f.service.computeLinkedPodIfAbsent(NS, 'again-0', SVC, -1), 1);
    await f.service.setPodWeight(NS, SVC, 1, 0);
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'again-1', SVC, -1), 1);
  });

  it('pods that never report liveness (Java or Go pods) stay eligible; NO_POD when every routable pod is silent', async () => {
    // Written as the other implementations do: the state and weight hashes only.
    await f.raw.hset(states, '5', 'running');
    await f.raw.hset(weights, '5', '100');
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await silence(0);
    assert.deepEqual(await place(f.service, users('java', 3)), [5, 5, 5]);
    const pods = await f.service.getPods(NS, SVC);
    assert.deepEqual(
      pods.map(({ podId, live, lastSeenAt }) => ({ podId, live, reported: lastSeenAt !== null })),
      [
        { podId: 0, live: false, reported: true },
        { podId: 5, live: true, reported: false },
      ],
    );
    await f.raw.hset(states, '5', 'draining');
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'nobody', SVC, -1), NO_POD);
  });

  it('getPods returns every pod of the state, weight and liveness hashes, sorted, in one round trip', async () => {
    await f.service.setServiceState(NS, SVC, 10, 'running');
    await f.service.setPodWeight(NS, SVC, 10, 7);
    await f.service.heartbeat(NS, SVC, 2);
    await f.raw.hset(weights, '3', '9'); // a Go pod's weight, no state, no liveness entry
    await f.service.setServiceState(NS, SVC, 4, 'draining');
    await silence(4);
    await f.raw.hset(states, 'not-a-pod', 'running'); // corrupt: left out
    const now = await redisNow();
    const pods = await f.service.getPods(NS, SVC);
    assert.deepEqual(
      pods.map((pod) => ({ ...pod, lastSeenAt: pod.lastSeenAt === null ? null : 'set' })),
      [
        { podId: 2, state: null, weight: null, lastSeenAt: 'set', live: true },
        { podId: 3, state: null, weight: 9, lastSeenAt: null, live: true },
        { podId: 4, state: 'draining', weight: null, lastSeenAt: 'set', live: false },
        { podId: 10, state: 'running', weight: 7, lastSeenAt: 'set', live: true },
      ],
    );
    assert.ok(Math.abs(pods[0].lastSeenAt! - now) < 5_000);
    // Without the option every pod is live.
    assert.ok((await plain.service.getPods(NS, SVC)).every((pod) => pod.live));
    assert.deepEqual(await f.service.getPods(NS, 'unknown'), []);
  });

  it('removePod forgets the last report too; removeSilentPod only a pod that did not report again', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setServiceState(NS, SVC, 1, 'running');
    await f.service.removePod(NS, SVC, 0);
    assert.equal(await f.raw.hget(seen, '0'), null);
    const [pod1] = (await f.service.getPods(NS, SVC)).filter((pod) => pod.podId === 1);
    await f.raw.hset(seen, '1', String(pod1.lastSeenAt! - 1)); // it reported again since
    assert.equal(await f.service.removeSilentPod(NS, SVC, 1, pod1.lastSeenAt!), false);
    assert.equal(await f.raw.hget(states, '1'), 'running');
    assert.equal(await f.service.removeSilentPod(NS, SVC, 1, pod1.lastSeenAt! - 1), true);
    assert.equal(await f.raw.exists(states, weights, seen), 0);
  });

  it('markSilentPod sets `silent` (no gateway routes to it, not a report) only on a pod that did not report again', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    await f.service.setPodWeight(NS, SVC, 0, 0);
    const [pod] = await f.service.getPods(NS, SVC);
    assert.equal(await f.service.markSilentPod(NS, SVC, 0, pod.lastSeenAt! - 1), false);
    assert.equal(await f.raw.hget(states, '0'), 'running');
    assert.equal(await f.service.markSilentPod(NS, SVC, 0, pod.lastSeenAt!), true);
    assert.equal(await f.raw.hget(states, '0'), 'silent');
    assert.equal(await f.raw.hget(seen, '0'), String(pod.lastSeenAt));
    // Not routable, for a gateway with or without liveness.
    assert.equal(await plain.service.computeLinkedPodIfAbsent(NS, 'u', SVC, -1), NO_POD);
    // Its next state report makes it routable again.
    await f.service.setServiceState(NS, SVC, 0, 'running');
    assert.equal(await plain.service.computeLinkedPodIfAbsent(NS, 'u', SVC, -1), 0);
  });
});
