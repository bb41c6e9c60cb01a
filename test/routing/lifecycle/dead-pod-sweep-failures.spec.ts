import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import {
  DistributedScheduleModule,
  DistributedSchedulerService,
  NO_POD,
  StatefulExecutorService,
  StatefulRedisModule,
} from '../../../lib';
import type { ScheduledRunContext } from '../../../lib';
import { DEAD_POD_SWEEP_TASK, DeadPodSweeper } from '../../../lib/scheduler/pod-sweep/dead-pod-sweeper';
import type { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';
import { bootTestingModule } from '../../harness/stateful-app';
import { pollUntil } from '../../harness/wait';

/*
 * Test audit (issue 17): the three behaviours of the dead-pod sweep that commit 5ef0d4b added, one test each:
 * a service that cannot be swept does not stop the others; a lost lease stops the walk of a pod's links (the pod
 * stays listed, `silent`, for the next fire); the built-in task never disables itself, however many fires fail.
 */

const NS = 'sweep-failures';
const SCHEDULER_NS = 'gateway';
const LIVE_POD = 1;
const SILENT_POD = 2;
const SWEEP_AFTER_MS = 2_000;

describe('dead-pod sweep under failures', () => {
  let server: RedisServer;
  useRedisServer((started) => (server = started));

  /** The module of one gateway with the sweep on; `sweepCron` every second, or never (the sweep fired by hand). */
  function gateway(sweepCron: string): Promise<TestingModule> {
    return bootTestingModule([
      StatefulRedisModule.forRoot({
        redis: server.url,
        metrics: false,
        podLiveness: { timeoutMs: 1_000, sweepAfterMs: SWEEP_AFTER_MS, sweepCron },
      }),
      DistributedScheduleModule.forRoot({ namespace: SCHEDULER_NS }),
    ]);
  }

  /** A gateway whose sweep never fires by itself (the tests fire it), its directory and a raw client, for `body`. */
  async function withQuietGateway(
    body: (moduleRef: TestingModule, directory: StatefulExecutorService, raw: Redis) => Promise<void>,
  ): Promise<void> {
    const moduleRef = await gateway('0 0 1 1 *');
    const raw = new Redis(server.url);
    try {
      await body(moduleRef, moduleRef.get(StatefulExecutorService), raw);
    } finally {
      raw.disconnect();
      await moduleRef.close();
    }
  }

  async function redisNow(raw: Redis): Promise<number> {
    const [seconds, micros] = await raw.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /**
   * A service with a live pod and a pod silent for 10 s (its last report moved back, as a pod that stopped
   * reporting would leave it), `users` users linked to the silent one.
   */
  async function serviceWithSilentPod(
    directory: StatefulExecutorService,
    raw: Redis,
    service: string,
    users: number,
  ): Promise<string[]> {
    await directory.setServiceState(NS, service, LIVE_POD, 'running');
    await directory.setServiceState(NS, service, SILENT_POD, 'running');
    const uids = Array.from({ length: users }, (_, i) => `${service}-user-${i}`);
    for (let from = 0; from < uids.length; from += 500)
      await Promise.all(
        uids.slice(from, from + 500).map((uid) => directory.setLinkedPod(NS, uid, service, SILENT_POD, -1)),
      );
    await raw.hset(`sf:{${NS}:state:${service}}seen`, String(SILENT_POD), String((await redisNow(raw)) - 10_000));
    await directory.heartbeat(NS, service, LIVE_POD);
    return uids;
  }

  /** A service the sweep cannot read: its pod-state key holds a string (WRONGTYPE on every read). */
  async function unreadableService(raw: Redis, service: string): Promise<void> {
    await raw.set(`sf:{${NS}:state:${service}}`, 'not a hash');
  }

  /** A run of the built-in task, fired by hand at Redis time `now`. */
  function runAt(now: number, signal = new AbortController().signal): ScheduledRunContext {
    return { scheduledAt: new Date(now), instanceId: 'test', signal } as ScheduledRunContext;
  }

  async function linkedToSilentPod(directory: StatefulExecutorService, service: string, uids: string[]) {
    const links = await directory.batchGetLinkedPod(NS, uids, service);
    return links[SILENT_POD] ?? [];
  }

  it('a service that cannot be swept does not stop the others: they are swept, then the run fails naming it', async () => {
    await withQuietGateway(async (moduleRef, directory, raw) => {
      // Services are swept in name order: the unreadable one comes first.
      await unreadableService(raw, 'a-unreadable');
      const uids = await serviceWithSilentPod(directory, raw, 'b-readable', 30);
      const sweeper = moduleRef.get(DeadPodSweeper);

      const failure = await sweeper.sweep(runAt(await redisNow(raw))).then(
        () => undefined,
        (error: Error) => error,
      );
      assert.deepEqual(
        (await directory.getPods(NS, 'b-readable')).map((pod) => pod.podId),
        [LIVE_POD],
        'the silent pod of the readable service (after the unreadable one) is forgotten',
      );
      assert.deepEqual(await linkedToSilentPod(directory, 'b-readable', uids), [], 'its links are removed');
      assert.equal(await directory.getLinkedPod(NS, uids[0], 'b-readable'), NO_POD);
      // The run still fails, to be retried: the unreadable service was not swept.
      assert.ok(failure, 'the run succeeded although a service was not swept');
      assert.match(failure.message, /^1 service\(s\) not swept: sweep-failures\/a-unreadable: /);
    });
  });

  it('a lost lease stops the walk of a pod: links left, the pod still listed and silent for the next fire', async (t) => {
    await withQuietGateway(async (moduleRef, directory, raw) => {
      const uids = await serviceWithSilentPod(directory, raw, 'game', 3_000);
      // The lease is lost just after the pod was marked silent, as the walk of its links begins: the scheduler
      // aborts the run's signal then (its renewals failed).
      const lease = new AbortController();
      const markSilentPods = directory.markSilentPods.bind(directory);
      directory.markSilentPods = async (...args: Parameters<StatefulExecutorService['markSilentPods']>) => {
        const marked = await markSilentPods(...args);
        lease.abort(new Error('the lease of the sweep was lost'));
        return marked;
      };
      const sweeper = moduleRef.get(DeadPodSweeper);

      await assert.rejects(sweeper.sweep(runAt(await redisNow(raw), lease.signal)), /the lease of the sweep was lost/);
      const left = await linkedToSilentPod(directory, 'game', uids);
      assert.ok(left.length > 0, 'the walk went on after the lease was lost: every link removed');
      const pods = await directory.getPods(NS, 'game');
      assert.deepEqual(
        pods.map((pod) => [pod.podId, pod.state]),
        [
          [LIVE_POD, 'running'],
          [SILENT_POD, 'silent'],
        ],
        'the pod stays listed, silent, for the next fire to sweep',
      );
      t.diagnostic(`figures: ${uids.length - left.length} of ${uids.length} links removed before the walk stopped`);

      // The next fire (its lease held) finishes the job.
      directory.markSilentPods = markSilentPods;
      await sweeper.sweep(runAt(await redisNow(raw)));
      assert.deepEqual(
        (await directory.getPods(NS, 'game')).map((pod) => pod.podId),
        [LIVE_POD],
      );
      assert.deepEqual(await linkedToSilentPod(directory, 'game', uids), []);
    });
  });

  it('one bad key under a silent pod leaves that pod marked; the silent pods of other services are swept', async () => {
    await withQuietGateway(async (moduleRef, directory, raw) => {
      const game = await serviceWithSilentPod(directory, raw, 'game', 600);
      const chat = await serviceWithSilentPod(directory, raw, 'chat', 20);
      // A link of chat's silent pod whose uid hash another writer left as a string: its removal fails (WRONGTYPE).
      await raw.set(`sf:{${NS}:lk:bad}chat`, String(SILENT_POD));
      await raw.set(`sf:{${NS}:lk:bad}`, 'oops');
      const sweeper = moduleRef.get(DeadPodSweeper);

      const failure = await sweeper.sweep(runAt(await redisNow(raw))).then(
        () => undefined,
        (error: Error) => error,
      );
      assert.deepEqual(
        (await directory.getPods(NS, 'game')).map((pod) => pod.podId),
        [LIVE_POD],
        'the silent pod of game is forgotten',
      );
      assert.deepEqual(await linkedToSilentPod(directory, 'game', game), []);
      // chat's good links are gone too; its pod stays marked (silent) for the next fire, and the run fails naming it.
      assert.deepEqual(await linkedToSilentPod(directory, 'chat', chat), []);
      assert.deepEqual(
        (await directory.getPods(NS, 'chat')).map((pod) => [pod.podId, pod.state]),
        [
          [LIVE_POD, 'running'],
          [SILENT_POD, 'silent'],
        ],
      );
      assert.match(
        failure?.message ?? '',
        /^1 service\(s\) not swept: sweep-failures\/chat: pod 2 kept marked: .*WRONGTYPE/,
      );
    });
  });

  it('removals refused after their settle time (a stall) keep the pod marked; the next fire finishes it', async () => {
    await withQuietGateway(async (moduleRef, directory, raw) => {
      const uids = await serviceWithSilentPod(directory, raw, 'game', 50);
      // The sweeping process freezes between the batch's guard and its removals for longer than the settle time.
      const scripts = (directory as unknown as { scripts: { run: (...args: unknown[]) => Promise<unknown> } }).scripts;
      const run = scripts.run.bind(scripts);
      let stalled = false;
      scripts.run = async (...args: unknown[]) => {
        if (args[0] === 'statefulRemovePodLink' && !stalled) {
          stalled = true;
          await new Promise((resolve) => setTimeout(resolve, 2_500));
        }
        return run(...args);
      };
      const sweeper = moduleRef.get(DeadPodSweeper);

      await assert.rejects(sweeper.sweep(runAt(await redisNow(raw))), /pod 2 kept marked: .*settle time/);
      assert.ok(stalled);
      assert.deepEqual(
        (await directory.getPods(NS, 'game')).map((pod) => [pod.podId, pod.state]),
        [
          [LIVE_POD, 'running'],
          [SILENT_POD, 'silent'],
        ],
        'the pod is not forgotten while links refused by the deadline may be left',
      );
      // The held removal was refused by Redis: its link is still there.
      assert.equal((await linkedToSilentPod(directory, 'game', uids)).length, 1);

      // The live pod reported meanwhile (the stall outlasted sweepAfterMs).
      await directory.heartbeat(NS, 'game', LIVE_POD);
      await sweeper.sweep(runAt(await redisNow(raw)));
      assert.deepEqual(
        (await directory.getPods(NS, 'game')).map((pod) => pod.podId),
        [LIVE_POD],
      );
      assert.deepEqual(await linkedToSilentPod(directory, 'game', uids), []);
    });
  });

  it('the built-in task never disables itself: fire after fire fails and it stays enabled', async (t) => {
    const raw = new Redis(server.url);
    await unreadableService(raw, 'unreadable');
    // Every second: each fire fails (after its retries), more fires in a row than the default limit of 3.
    const moduleRef = await gateway('* * * * * *');
    try {
      const scheduler = moduleRef.get(DistributedSchedulerService);
      const task = await pollUntil('more failed fires in a row than the default limit', 40_000, async () => {
        const current = await scheduler.getTask(DEAD_POD_SWEEP_TASK);
        if (current === null) return 'not declared yet';
        if (!current.enabled) return `disabled after ${current.failureCount} failed fires`;
        return current.failureCount > 3 ? current : `${current.failureCount} failed fires so far`;
      });
      assert.equal(task.enabled, true);
      const failed = (await scheduler.getRuns(DEAD_POD_SWEEP_TASK, 100)).filter((run) => run.status === 'failed');
      assert.ok(failed.length > 3, `${failed.length} failed attempts recorded`);
      assert.match(failed[0].error ?? '', /sweep-failures\/unreadable/);
      t.diagnostic(`figures: ${task.failureCount} failed fires in a row, still enabled`);
    } finally {
      raw.disconnect();
      await moduleRef.close();
    }
  });
});
