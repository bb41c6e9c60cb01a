import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeOnStandaloneAndCluster } from '../../harness/standalone-and-cluster';
import { useTargetFixture } from '../../harness/target-fixture';
import { silentPodFixture } from './silent-pod-fixture';

/*
 * Issue 18, second review: the notice a pod gets at its report after a sweep tells the truth, whatever happened
 * in between. A write on the pod's behalf between two fires keeps the count of the first; a report whose reply
 * was lost is answered again when retried; an unreadable sweep entry never leaves half a report.
 */

const NS = 'notice';
const SVC = 'game';
const POD = 1;
const SILENT_FOR_MS = 60_000;
/** How long a told notice is answered again (includes/sweepNotice). */
const NOTICE_REPEAT_MS = 30_000;

describeOnStandaloneAndCluster('the notice of a swept pod', (target) => {
  const f = useTargetFixture(target, { podLiveness: { timeoutMs: 1_000 } });

  const fixture = silentPodFixture(f, NS, SVC, POD);
  const { keyOf, redisNow, silentPodWithUsers } = fixture;

  const markedPod = () => fixture.markedPod(SILENT_FOR_MS);

  it('a write on the pod’s behalf between two fires keeps the first fire’s count in the notice', async () => {
    await silentPodWithUsers(300);
    const first = await markedPod();
    assert.equal(await f.service.removePodLinks(NS, SVC, POD, { mark: first }), 300);
    // A controller reconciles the pods' states: not a report of the pod, and it replaces the mark.
    await f.service.batchSetServiceState(NS, { [SVC]: { [POD]: 'running' } });
    assert.deepEqual(await f.service.forgetMarkedPods(NS, [first]), []);

    const second = await markedPod();
    assert.equal(second.linksRemoved, 300, 'the second fire counts on');
    assert.equal(await f.service.removePodLinks(NS, SVC, POD, { mark: second }), 0);
    assert.equal((await f.service.forgetMarkedPods(NS, [second])).length, 1);
    const notice = await f.service.heartbeat(NS, SVC, POD);
    assert.equal(notice?.linksRemoved, 300);
    assert.equal(notice?.forgotten, true);
    assert.ok(notice.reclaimInMs > 0, 'the first fire’s settle time is kept');
  });

  it('a report retried after a lost reply is answered the same notice; one after that is not', async () => {
    await silentPodWithUsers(50);
    const mark = await markedPod();
    assert.equal(await f.service.removePodLinks(NS, SVC, POD, { mark }), 50);
    assert.equal((await f.service.forgetMarkedPods(NS, [mark])).length, 1);
    // The reply of this report is lost (a TIMEOUT): the pod retries the same call.
    const lost = await f.service.heartbeat(NS, SVC, POD);
    const retried = await f.service.heartbeat(NS, SVC, POD);
    assert.deepEqual({ ...retried, reclaimInMs: 0 }, { ...lost, reclaimInMs: 0 });
    assert.equal(retried?.linksRemoved, 50);
    // Once the retry window is past, the next report takes the entry out.
    const entry = JSON.parse((await f.raw.hget(keyOf('sweeps'), String(POD)))!) as { toldAt: number };
    entry.toldAt -= NOTICE_REPEAT_MS;
    await f.raw.hset(keyOf('sweeps'), String(POD), JSON.stringify(entry));
    assert.equal(await f.service.heartbeat(NS, SVC, POD), null);
    assert.equal(await f.raw.hget(keyOf('sweeps'), String(POD)), null);
  });

  it('a pod that went silent again after it was told is marked afresh (its count starts at 0)', async () => {
    await silentPodWithUsers(20);
    const mark = await markedPod();
    assert.equal(await f.service.removePodLinks(NS, SVC, POD, { mark }), 20);
    assert.ok(await f.service.heartbeat(NS, SVC, POD));
    await f.raw.hset(keyOf('seen'), String(POD), String((await redisNow()) - 10 * 60_000));
    const again = await markedPod();
    assert.equal(again.linksRemoved, 0);
    assert.ok(again.markedAt >= mark.markedAt);
  });

  for (const entry of ['not json', '"a string"', '{"markedAt":"x"}']) {
    it(`an unreadable sweep entry (${entry}) is treated as absent: the report is whole and answers no notice`, async () => {
      await f.service.setServiceState(NS, SVC, POD, 'running');
      await f.raw.hset(keyOf('sweeps'), String(POD), entry);
      const before = Number(await f.raw.hget(keyOf('seen'), String(POD)));
      assert.equal(await f.service.setServiceState(NS, SVC, POD, 'draining'), null);
      assert.equal(await f.raw.hget(keyOf(), String(POD)), 'draining');
      assert.ok(Number(await f.raw.hget(keyOf('seen'), String(POD))) >= before);
      assert.equal(await f.raw.hget(keyOf('sweeps'), String(POD)), null);
      // The batch report and the sweep's mark read it the same way.
      await f.raw.hset(keyOf('sweeps'), String(POD), entry);
      assert.deepEqual(
        await f.service.batchSetServiceState(NS, { [SVC]: { [POD]: 'running' } }, { asPodReport: true }),
        [],
      );
      await f.raw.hset(keyOf('sweeps'), String(POD), entry);
      await f.raw.hset(keyOf('seen'), String(POD), String((await redisNow()) - 10 * 60_000));
      const mark = await markedPod();
      assert.equal(mark.linksRemoved, 0);
    });
  }
});
