import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { DistributedScheduleModule, NO_POD, StatefulExecutorService, StatefulRedisModule } from '../../../lib';
import type { ScheduledRunContext } from '../../../lib';
import { DEAD_POD_SWEEP_TASK, DeadPodSweeper } from '../../../lib/scheduler/pod-sweep/dead-pod-sweeper';
import { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { ReplicaGroup } from '../../harness/replica-process';
import { bootTestingModule, startStatefulApp, type StatefulApp } from '../../harness/stateful-app';
import { pollUntil } from '../../harness/wait';
import { SchedulerObserver } from '../../scheduler/replicas/scheduler-observer';

/*
 * Issue 12, part 3: with `podLiveness.sweepAfterMs`, the built-in task of the scheduler sweeps the links of a pod
 * gone silent and forgets it, once per fire across three replicas (separate processes), and leaves alone the live
 * pods, the pods that never report liveness (Java or Go) and the users linked to them.
 */

const NS = 'sweep';
const SVC = 'game';
const SCHEDULER_NS = 'gateway';
const USERS_PER_POD = 30;
const LIVE_POD = 1;
const SILENT_POD = 2;
/** Reported only in the state hash, as the Java and Go implementations do: it never has a liveness entry. */
const LEGACY_POD = 3;
const uidsOf = (pod: number) => Array.from({ length: USERS_PER_POD }, (_, i) => `p${pod}-user-${i}`);

describe('built-in dead-pod sweep, 3 replicas', () => {
  let server: RedisServer;
  let raw: Redis;
  useRedisServer((started) => {
    server = started;
    raw = new Redis(started.url);
  });
  const group = new ReplicaGroup();
  let app: StatefulApp | undefined;
  let observer: SchedulerObserver | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  afterEach(async () => {
    clearInterval(heartbeat);
    await group.stopAll();
    await observer?.close();
    await app?.close();
  });
  after(() => raw?.disconnect());

  it('sweeps a silent pod once per fire: its links removed, the pod forgotten, new users placed on live pods', async (t) => {
    app = await startStatefulApp({ redis: server.url, metrics: false, podLiveness: { timeoutMs: 1_000 } });
    const directory = app.service;
    for (const pod of [LIVE_POD, SILENT_POD]) await directory.setServiceState(NS, SVC, pod, 'running');
    await raw.hset(`sf:{${NS}:state:${SVC}}`, String(LEGACY_POD), 'running');
    for (const pod of [LIVE_POD, SILENT_POD, LEGACY_POD])
      for (const uid of uidsOf(pod)) await directory.setLinkedPod(NS, uid, SVC, pod, -1);
    heartbeat = setInterval(() => void directory.heartbeat(NS, SVC, LIVE_POD).catch(() => undefined), 250);

    const script = join(__dirname, 'fixtures', 'sweep-replica.js');
    await group.start(
      ...[1, 2, 3].map((i) => ({
        name: `gateway-${i}`,
        script,
        env: {
          SF_SWEEP_REPLICA: JSON.stringify({ redis: server.url, instanceId: `gw-${i}`, namespace: SCHEDULER_NS }),
        },
      })),
    );

    await pollUntil('the silent pod to be forgotten', 30_000, async () => {
      const pods = (await directory.getPods(NS, SVC)).map((pod) => pod.podId);
      return pods.includes(SILENT_POD) ? `pods ${pods.join(', ')}` : pods;
    });

    // Its users have no link left, not even in their uid hash (no key outlives its links); the others keep theirs.
    for (const uid of uidsOf(SILENT_POD)) {
      assert.equal(await directory.getLinkedPod(NS, uid, SVC), NO_POD, `${uid} still linked`);
      assert.equal(await raw.hget(`sf:{${NS}:lk:${uid}}`, SVC), null, `${uid}'s uid hash still names ${SVC}`);
    }
    for (const pod of [LIVE_POD, LEGACY_POD])
      for (const uid of uidsOf(pod)) assert.equal(await directory.getLinkedPod(NS, uid, SVC), pod, `${uid} lost`);
    const pods = await directory.getPods(NS, SVC);
    assert.deepEqual(
      pods.map((pod) => pod.podId),
      [LIVE_POD, LEGACY_POD],
    );

    // A swept user comes back: placed on a live pod.
    const placed = await directory.computeLinkedPodIfAbsent(NS, uidsOf(SILENT_POD)[0], SVC, -1);
    assert.ok([LIVE_POD, LEGACY_POD].includes(placed), `placed on ${placed}`);

    // Once: one replica swept the pod, and logged it once, whatever the number of replicas.
    const sweeps = group.events('log').filter((e) => String(e.message).startsWith(`Pod ${SILENT_POD} of ${NS}/${SVC}`));
    assert.equal(
      sweeps.length,
      1,
      `sweep lines: ${sweeps.map((e) => `${e.replica}: ${String(e.message)}`).join('\n')}`,
    );
    assert.match(String(sweeps[0].message), new RegExp(`${USERS_PER_POD} link\\(s\\) removed, pod forgotten`));

    // Every fire of the built-in task ran at most once, on one of the replicas.
    observer = await SchedulerObserver.start({ redis: server.url }, SCHEDULER_NS);
    const runs = await pollUntil('three fires of the sweep to be recorded', 15_000, async () => {
      const recorded = (await observer!.runs(DEAD_POD_SWEEP_TASK)).filter((run) => run.status !== 'running');
      return recorded.length >= 3 ? recorded : `${recorded.length} runs`;
    });
    const fires = runs.map((run) => run.scheduledAt.getTime());
    assert.equal(new Set(fires).size, fires.length, 'a fire ran twice');
    for (const run of runs) assert.ok(['success', 'skipped'].includes(run.status), `${run.status}: ${run.error}`);
    t.diagnostic(
      `figures: ${runs.length} sweep fires, run by ${[...new Set(runs.map((run) => run.instanceId))].join(', ')}; ` +
        `${USERS_PER_POD} links of the silent pod removed`,
    );
  });

  it('marks the pod silent before it sweeps: a gateway placing users meanwhile leaves no link to the swept pod', async (t) => {
    // In process, fired by hand: the built-in task's cron is set to never fire on its own during the test.
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRoot({
        redis: server.url,
        metrics: false,
        podLiveness: { timeoutMs: 1_000, sweepAfterMs: 2_000, sweepCron: '0 0 1 1 *' },
      }),
      DistributedScheduleModule.forRoot({ namespace: SCHEDULER_NS }),
    ]);
    // A gateway without liveness (or a Java one): it places users on any running pod, silent or not.
    app = await startStatefulApp({ redis: server.url, metrics: false });
    try {
      const directory = moduleRef.get(StatefulExecutorService);
      await directory.setServiceState(NS, SVC, SILENT_POD, 'running');
      await directory.setServiceState(NS, SVC, LIVE_POD, 'running');
      // The silent pod is the least loaded: every new user goes there until it stops being routable.
      await directory.setPodWeight(NS, SVC, LIVE_POD, 1_000_000);
      const old = Array.from({ length: 4_000 }, (_, i) => `old-${i}`);
      for (let from = 0; from < old.length; from += 500)
        await Promise.all(
          old.slice(from, from + 500).map((uid) => directory.setLinkedPod(NS, uid, SVC, SILENT_POD, -1)),
        );
      // Silent for 10 s (Redis time), the other pod reporting now.
      const [seconds, micros] = await raw.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await raw.hset(`sf:{${NS}:state:${SVC}}seen`, String(SILENT_POD), String(now - 10_000));
      await directory.heartbeat(NS, SVC, LIVE_POD);
      let placing = true;
      let placed = 0;
      const gateway = (async () => {
        while (placing) await app!.service.computeLinkedPodIfAbsent(NS, `new-${placed++}`, SVC, -1);
      })();
      const sweeper = moduleRef.get(DeadPodSweeper);
      const run = {
        scheduledAt: new Date(now),
        instanceId: 'test',
        signal: new AbortController().signal,
      } as ScheduledRunContext;
      try {
        await sweeper.sweep(run);
      } finally {
        placing = false;
        await gateway;
      }
      assert.deepEqual(
        (await directory.getPods(NS, SVC)).map((p) => p.podId),
        [LIVE_POD],
      );
      const links = await directory.batchGetLinkedPod(
        NS,
        [...old, ...Array.from({ length: placed }, (_, i) => `new-${i}`)],
        SVC,
      );
      assert.deepEqual(links[SILENT_POD] ?? [], [], `${links[SILENT_POD]?.length} links left to the swept pod`);
      t.diagnostic(`figures: ${placed} users placed by another gateway during the sweep, none left on the swept pod`);
    } finally {
      await moduleRef.close();
    }
  });
});
