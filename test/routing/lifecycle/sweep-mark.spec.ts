import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SilentPodMark, SweptPodNotice } from '../../../lib';
import { mulberry32 } from '../../harness/prng';
import { describeOnStandaloneAndCluster } from '../../harness/standalone-and-cluster';
import { useTargetFixture } from '../../harness/target-fixture';
import { silentPodFixture } from './silent-pod-fixture';

/*
 * Issue 18, items 1, 2 and 5 on the directory's sweep steps: a sweep removes links only while the pod is still
 * the silent pod it marked; a pod that reports again learns it; liveness comes only from a pod's own reports.
 */

const NS = 'mark';
const SVC = 'game';
const POD = 1;
const SILENT_FOR_MS = 60_000;
const SEED = Number(process.env.PROPERTY_SEED ?? 1812);
const RUNS = Number(process.env.SWEEP_MARK_RUNS ?? 6);

describeOnStandaloneAndCluster('sweep of a marked pod', (target) => {
  const f = useTargetFixture(target, { podLiveness: { timeoutMs: 1_000 } });

  const fixture = silentPodFixture(f, NS, SVC, POD);
  const { keyOf, redisNow, silentPodWithUsers } = fixture;

  const linksLeft = async (uids: string[]) => ((await f.service.batchGetLinkedPod(NS, uids, SVC))[POD] ?? []).length;

  const markedPod = () => fixture.markedPod(SILENT_FOR_MS);

  it('a pod that reports right after the mark keeps every link, and its report answers the sweep (the repro)', async () => {
    const uids = await silentPodWithUsers(2_000);
    const mark = await markedPod();
    assert.equal((await f.service.getServiceState(NS, SVC))[POD], 'silent');
    const notice = await f.service.setServiceState(NS, SVC, POD, 'running');
    assert.deepEqual(notice, {
      namespace: NS,
      serviceName: SVC,
      podId: POD,
      lastSeenAt: mark.lastSeenAt,
      markedAt: mark.markedAt,
      linksRemoved: 0,
      forgotten: false,
      reclaimInMs: 0,
    } satisfies SweptPodNotice);
    assert.equal(await f.service.removePodLinks(NS, SVC, POD, { mark }), 0);
    assert.deepEqual(await f.service.forgetMarkedPods(NS, [mark]), []);
    assert.equal(await linksLeft(uids), uids.length);
    // Told: the sweep is over for the pod; the notice is answered again only to a report soon after (a retry).
    assert.deepEqual(await f.service.forgetMarkedPods(NS, [mark]), []);
    const pod = (await f.service.getPods(NS, SVC)).find((p) => p.podId === POD);
    assert.deepEqual([pod?.state, pod?.live], ['running', true]);
  });

  it('a report or a foreign write between batches stops the sweep at the next batch (seeded)', async (t) => {
    const random = mulberry32(SEED);
    const kinds = ['state', 'weight', 'heartbeat', 'java-state', 'java-weight'] as const;
    for (let run = 0; run < RUNS; run++) {
      await target.flush();
      const kind = kinds[Math.floor(random() * kinds.length)];
      const uids = await silentPodWithUsers(3_000);
      const mark = await markedPod();
      const stopAfter = 1 + Math.floor(random() * 3);
      let batches = 0;
      let removedAtWrite: number | undefined;
      let notice: SweptPodNotice | null = null;
      const removed = await f.service.removePodLinks(NS, SVC, POD, {
        mark,
        onProgress: async (progress) => {
          if (++batches !== stopAfter) return;
          removedAtWrite = progress.removed;
          // The write lands between two batches of this master (onProgress is awaited); other masters of a
          // cluster may each have one batch in flight.
          if (kind === 'state') notice = await f.service.setServiceState(NS, SVC, POD, 'running');
          if (kind === 'weight') notice = await f.service.setPodWeight(NS, SVC, POD, 7);
          if (kind === 'heartbeat') notice = await f.service.heartbeat(NS, SVC, POD);
          if (kind === 'java-state') await f.raw.hset(keyOf(), String(POD), 'running');
          if (kind === 'java-weight') await f.raw.hset(keyOf('weight'), String(POD), '7');
        },
      });
      const left = await linksLeft(uids);
      t.diagnostic(`run ${run}: ${kind} after batch ${stopAfter}: ${removed} removed (${removedAtWrite} at the write)`);
      assert.equal(removed + left, uids.length);
      if (removedAtWrite === undefined) continue; // the walk had fewer batches than that
      // Stopped within one batch of the write: at most one more batch (1000 keys examined) per master.
      const masters = target.name === 'cluster' ? 3 : 1;
      assert.ok(removed - removedAtWrite <= 1_000 * masters, `${removed - removedAtWrite} removed after the write`);
      assert.deepEqual(await f.service.forgetMarkedPods(NS, [mark]), [], 'a pod that came back is never forgotten');
      if (kind.startsWith('java')) {
        // Its entries are not the library's any more: no own liveness, never marked again.
        assert.deepEqual(await f.service.markSilentPods(NS, SVC, SILENT_FOR_MS), []);
        const pod = (await f.service.getPods(NS, SVC)).find((p) => p.podId === POD);
        assert.deepEqual([pod?.lastSeenAt, pod?.live], [null, true]);
      } else {
        const learnt = notice as SweptPodNotice | null;
        assert.ok(learnt, 'the report answered the sweep');
        // It never learns fewer links than it lost.
        assert.ok(learnt.linksRemoved >= removedAtWrite, `${learnt.linksRemoved} < ${removedAtWrite}`);
        const state = (await f.service.getServiceState(NS, SVC))[POD];
        // A report without a state gives the pod back the state it had before the mark.
        assert.equal(state, 'running');
      }
    }
  });

  it('one walk sweeps the marked pods of several services; a pod that reports midway keeps the rest', async () => {
    const services = ['game', 'chat'];
    const pods = [1, 2, 3, 4, 5];
    const uids = Array.from({ length: 3_000 }, (_, i) => `m${i}`);
    // Each uid on one pod of one service; pod 5 has a few users only, so that most batches lack it.
    const podOf = (i: number) => (i % 500 < 2 ? 5 : pods[i % 4]);
    for (let from = 0; from < uids.length; from += 500)
      await Promise.all(
        uids
          .slice(from, from + 500)
          .map((uid, i) => f.service.setLinkedPod(NS, uid, services[(from + i) % 2], podOf(from + i), -1)),
      );
    const longAgo = String((await redisNow()) - 10 * 60_000);
    for (const service of services)
      for (const pod of [0, ...pods]) {
        await f.service.setServiceState(NS, service, pod, 'running');
        if (pod !== 0) await f.raw.hset(`sf:{${NS}:state:${service}}seen`, String(pod), longAgo);
      }
    const marks = [
      ...(await f.service.markSilentPods(NS, 'game', SILENT_FOR_MS)),
      ...(await f.service.markSilentPods(NS, 'chat', SILENT_FOR_MS)),
    ];
    assert.equal(marks.length, 10);
    let reported = false;
    const swept = await f.service.removeMarkedPodLinks(NS, marks, {
      onProgress: async () => {
        if (reported) return;
        reported = true;
        await f.service.heartbeat(NS, 'game', 1);
      },
    });
    const byPod = new Map(swept.map((pod) => [`${pod.serviceName}/${pod.podId}`, pod]));
    assert.equal(byPod.get('game/1')?.stillMarked, false);
    const forgotten = await f.service.forgetMarkedPods(NS, marks);
    assert.equal(forgotten.length, 9);
    for (const service of services) {
      const left = await f.service.batchGetLinkedPod(NS, uids, service);
      for (const pod of pods) {
        const kept = service === 'game' && pod === 1;
        if (!kept) assert.deepEqual(left[pod] ?? [], [], `${service}/${pod} still has links`);
      }
    }
    const removed = swept.reduce((sum, pod) => sum + pod.removed, 0);
    const keptLinks = ((await f.service.batchGetLinkedPod(NS, uids, 'game'))[1] ?? []).length;
    assert.equal(removed + keptLinks, uids.length);
  });

  it('a pod forgotten by a finished sweep learns at its next report how many links it lost', async () => {
    const uids = await silentPodWithUsers(300);
    const mark = await markedPod();
    assert.equal(await f.service.removePodLinks(NS, SVC, POD, { mark }), uids.length);
    assert.deepEqual(await f.service.forgetMarkedPods(NS, [mark]), [mark]);
    assert.deepEqual(
      (await f.service.getPods(NS, SVC)).map((p) => p.podId),
      [0],
    );
    const notice = await f.service.heartbeat(NS, SVC, POD);
    assert.deepEqual([notice?.linksRemoved, notice?.forgotten], [uids.length, true]);
  });

  it('a sweep cut short is taken up again: the mark stays, its count goes on', async () => {
    const uids = await silentPodWithUsers(3_000);
    const mark = await markedPod();
    const stop = new Error('lease lost');
    let first = 0;
    await assert.rejects(
      f.service.removePodLinks(NS, SVC, POD, {
        mark,
        onProgress: (progress) => {
          first = progress.removed;
          throw stop;
        },
      }),
      stop,
    );
    const again = await markedPod();
    assert.deepEqual([again.markedAt, again.lastSeenAt], [mark.markedAt, mark.lastSeenAt]);
    assert.ok(again.linksRemoved >= first);
    await f.service.removePodLinks(NS, SVC, POD, { mark: again });
    assert.deepEqual(await f.service.forgetMarkedPods(NS, [again]), [again]);
    assert.equal(await linksLeft(uids), 0);
  });

  it('silence is judged on the clock of the master holding the liveness entry, not the caller', async () => {
    await f.service.setServiceState(NS, SVC, 0, 'running');
    // Reported just now on that master's clock: never silent, whatever time the caller (a scheduler) believes.
    assert.deepEqual(await f.service.markSilentPods(NS, SVC, 1_000), []);
    await f.raw.hset(keyOf('seen'), '0', String((await redisNow()) - 5_000));
    const [mark] = await f.service.markSilentPods(NS, SVC, 1_000);
    assert.ok(Math.abs(mark.judgedAt - (await redisNow())) < 5_000, 'judgedAt is Redis TIME of that master');
    assert.ok(mark.judgedAt - mark.lastSeenAt >= 5_000);
  });

  it('a Java or Go pod at an ordinal a pod of this library used before is never marked (case B)', async () => {
    // The TS incarnation reported; the Java pod now at that ordinal writes its state and weight with plain HSET.
    await f.service.setServiceState(NS, SVC, POD, 'running');
    await f.service.setPodWeight(NS, SVC, POD, 3);
    await f.raw.hset(keyOf('seen'), String(POD), String((await redisNow()) - 10 * 60_000));
    await f.raw.hset(keyOf('weight'), String(POD), '12');
    const pod = (await f.service.getPods(NS, SVC)).find((p) => p.podId === POD);
    assert.deepEqual([pod?.lastSeenAt, pod?.live], [null, true]);
    assert.deepEqual(await f.service.markSilentPods(NS, SVC, SILENT_FOR_MS), []);
    assert.equal(await f.service.computeLinkedPodIfAbsent(NS, 'new-user', SVC, -1), POD);
    // A gateway of this library placing users there (a write on its behalf) does not make it a pod with liveness.
    assert.deepEqual(await f.service.markSilentPods(NS, SVC, SILENT_FOR_MS), []);
  });

  it('a controller writing states (batchSetServiceState defaults, the dashboard drain) gives no liveness (case A)', async () => {
    await f.raw.hset(keyOf(), '2', 'running');
    await f.service.batchSetServiceState(NS, { [SVC]: { 2: 'running' } });
    await f.service.setServiceState(NS, SVC, 2, 'draining', { asPodReport: false });
    assert.equal(await f.raw.hget(keyOf('seen'), '2'), null);
    assert.deepEqual(await f.service.markSilentPods(NS, SVC, 0), []);
  });

  it('a report never writes half: a key of the wrong type fails it before its first write', async () => {
    await f.service.setServiceState(NS, SVC, POD, 'running');
    await f.raw.del(keyOf('seen'));
    await f.raw.set(keyOf('seen'), 'not a hash');
    await assert.rejects(f.service.setServiceState(NS, SVC, POD, 'draining'), /WRONGTYPE/);
    await assert.rejects(f.service.setPodWeight(NS, SVC, POD, 9));
    await assert.rejects(f.service.batchSetServiceState(NS, { [SVC]: { [POD]: 'draining' } }, { asPodReport: true }));
    assert.deepEqual(await f.raw.hgetall(keyOf()), { [POD]: 'running' });
    assert.equal(await f.raw.hget(keyOf('weight'), String(POD)), null);
  });

  it('refuses bad marks and options, naming the field', async () => {
    await assert.rejects(f.service.markSilentPods(NS, SVC, -1), { code: 'INVALID_PARAMETER', field: 'silentForMs' });
    await assert.rejects(f.service.removeMarkedPodLinks(NS, 'x' as never), { field: 'marks' });
    await assert.rejects(f.service.removeMarkedPodLinks(NS, [{ serviceName: SVC, podId: 1 } as never]), {
      field: 'marks[0].markedAt',
    });
    await assert.rejects(f.service.forgetMarkedPods(NS, [{ serviceName: 'a{b', podId: 1, markedAt: 1 } as never]), {
      field: 'marks[0].serviceName',
    });
    const mark = { serviceName: SVC, podId: 2, markedAt: 1 } as SilentPodMark;
    await assert.rejects(f.service.removePodLinks(NS, SVC, POD, { mark }), { field: 'options.mark' });
  });
});
