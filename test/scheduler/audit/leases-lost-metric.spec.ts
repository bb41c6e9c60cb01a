import type { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, afterEach, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { SCHEDULER_METRIC_NAMES } from '../../../lib';
import type { DistributedSchedulerService, ScheduledRunContext } from '../../../lib';
import { RedisServer } from '../../harness/redis-server';
import { pollUntil } from '../../harness/wait';
import { PartitionProxy } from '../replicas/partition-proxy';
import { startSchedulerApp } from '../runtime/scheduler-app';

/*
 * Test audit (issue 17): `stateful_redis_scheduler_leases_lost_total` counts the runs of this process that lost
 * their lease, once per run: (1) a handler that outlives its lease because the replica's renewals cannot reach
 * Redis (a partition between it and Redis: its signal aborts at the lease's local deadline); (2) a replica frozen
 * past its lease (its event loop blocked by the handler): its completion is refused by the fence. A counter that
 * is never incremented, or incremented per failed renewal, fails here.
 */

const NS = 'leases-lost';
const NAME = SCHEDULER_METRIC_NAMES.leasesLost;
const LEASE_MS = 1_500;

describe('leases_lost_total counts each run that lost its lease (standalone)', () => {
  let server: RedisServer;
  let proxy: PartitionProxy;
  let app: TestingModule;
  let scheduler: DistributedSchedulerService;
  let registry: Registry;

  before(async () => {
    server = await RedisServer.start();
  });

  afterEach(async () => {
    proxy?.heal();
    await app?.close();
    await proxy?.close();
  });

  after(() => server?.dispose());

  /** This replica reaches Redis through a proxy that can be partitioned; its metrics go to a registry of its own. */
  async function startReplica(): Promise<void> {
    await server.cli('FLUSHALL');
    proxy = await PartitionProxy.start(server.port);
    registry = new Registry();
    ({ app, scheduler } = await startSchedulerApp({
      redis: { redis: proxy.url, metrics: { registry } },
      scheduler: { namespace: NS, leaseMs: LEASE_MS, pollIntervalMs: 200 },
    }));
  }

  /** A task run by hand only (one attempt, no retry), of workflow `workflow`. */
  async function addManualTask(id: string, workflow: string): Promise<void> {
    await scheduler.addTask({ id, name: id, cron: '0 0 1 1 *', workflow, retry: { attempts: 1, backoffMs: 1_000 } });
  }

  /** The counter's value for one task (0 when it has no series). */
  async function leasesLost(task: string): Promise<number> {
    const metric = registry.getSingleMetric(NAME);
    assert.ok(metric, `${NAME} is registered`);
    const { values } = await metric.get();
    return values.find((v) => v.labels.namespace === NS && v.labels.task === task)?.value ?? 0;
  }

  const firstAttempt = async (id: string) =>
    (await scheduler.getRuns(id, 10)).find((run) => run.attempt === 1 && run.status !== 'running');

  it('renewals cut off from Redis: the signal aborts and the counter goes up by one', async () => {
    await startReplica();
    let started = false;
    let abortedAt: number | undefined;
    scheduler.registerWorkflow('held', async (run: ScheduledRunContext) => {
      started = true;
      // A handler that cooperates: it stops when its signal aborts.
      await new Promise<void>((resolve) =>
        run.signal.addEventListener('abort', () => {
          abortedAt = performance.now();
          resolve();
        }),
      );
    });
    scheduler.registerWorkflow('quick', () => undefined);
    await addManualTask('held', 'held');
    await addManualTask('untouched', 'quick');
    await scheduler.triggerTask('untouched');
    await scheduler.triggerTask('held');
    await pollUntil('the held run to start', 10_000, async () => (started ? true : 'not started'));
    await pollUntil('the quick run to succeed', 10_000, async () =>
      (await firstAttempt('untouched'))?.status === 'success' ? true : 'not recorded',
    );

    const partitionedAt = performance.now();
    proxy.partition();
    await pollUntil('the signal to abort', 5 * LEASE_MS, async () => (abortedAt ? true : 'not aborted'));
    assert.ok(abortedAt! - partitionedAt <= 2 * LEASE_MS, `aborted ${abortedAt! - partitionedAt} ms after the cut`);
    assert.equal(await leasesLost('held'), 1, 'the lost lease is counted');

    proxy.heal();
    // Redis records the attempt lost (the refused finish, or the reaper); the counter does not count it again.
    const lost = await pollUntil('the attempt recorded', 10_000, async () => (await firstAttempt('held')) ?? 'none');
    assert.equal(lost.status, 'lost');
    assert.equal(await leasesLost('held'), 1, 'counted once per run, not once more for the refused completion');
    assert.equal(await leasesLost('untouched'), 0, 'a run that kept its lease is not counted');
  });

  it('a replica frozen past its lease: its completion is refused and the counter goes up by one', async () => {
    await startReplica();
    let ended = false;
    scheduler.registerWorkflow('frozen', () => {
      // The handler blocks the event loop (the whole replica) for twice its lease: no renewal can be sent.
      const until = performance.now() + 2 * LEASE_MS;
      while (performance.now() < until) {
        // busy
      }
      ended = true;
    });
    await addManualTask('frozen', 'frozen');
    await scheduler.triggerTask('frozen');
    await pollUntil('the frozen run to end', 10_000, async () => (ended ? true : 'still running'));
    const lost = await pollUntil('the attempt recorded', 10_000, async () => (await firstAttempt('frozen')) ?? 'none');
    assert.equal(lost.status, 'lost', 'its success is refused by the fence');
    await pollUntil('the counter', 5_000, async () => ((await leasesLost('frozen')) >= 1 ? true : 'not counted'));
    assert.equal(await leasesLost('frozen'), 1, 'counted once');
  });
});
