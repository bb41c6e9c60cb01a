import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { RedisServer } from '../../harness/redis-server';
import { ReplicaGroup } from '../../harness/replica-process';
import { sleep } from '../../harness/wait';
import { PartitionProxy } from './partition-proxy';
import type { ReplicaConfig, ReplicaTaskSpec, RunStartEvent } from './replica-config';
import {
  byFire,
  describeRuns,
  duplicateStarts,
  ends,
  FAST_MODULE_OPTIONS,
  redisTimeMs,
  replica,
  starts,
} from './replica-scenario';
import { SchedulerObserver } from './scheduler-observer';

/*
 * Guarantee 4 (leases and fencing): a handler that outlives its lease because renewals cannot reach Redis
 * sees its signal abort, and its completion is refused by the fencing token: the attempt is recorded
 * `lost`, never `success` over the newer attempt that took its place. Tokens strictly increase.
 */

const LEASE_MS = 1_500;
const GUARDED: ReplicaTaskSpec = {
  name: 'guarded',
  cron: '* * * * * *',
  options: { leaseMs: LEASE_MS, retry: { attempts: 3, backoffMs: 100 } },
  durationMs: 50,
};

/**
 * Fencing tokens are unique per task, grow with the attempts of a fire, and grow with time: a run that
 * started (Redis time) clearly after another has a larger token. (Runs claimed together, e.g. a retry
 * and the next fire after an outage, may start in either order.)
 */
function assertTokensIncrease(events: RunStartEvent[]): void {
  const tokens = events.map((e) => e.fencingToken);
  assert.equal(new Set(tokens).size, tokens.length, `a fencing token was given twice: ${tokens.join(', ')}`);
  for (const a of events) {
    for (const b of events) {
      const sameFireLaterAttempt = a.scheduledAt === b.scheduledAt && b.attempt > a.attempt;
      const clearlyLater = a.redisNow !== null && b.redisNow !== null && b.redisNow - a.redisNow > 200;
      if (sameFireLaterAttempt || clearlyLater) {
        assert.ok(
          b.fencingToken > a.fencingToken,
          `token ${b.fencingToken} (${JSON.stringify(b)}) is not above token ${a.fencingToken} (${JSON.stringify(a)})`,
        );
      }
    }
  }
}

describe('replicas: leases and fencing (standalone)', () => {
  const group = new ReplicaGroup();
  let server: RedisServer;
  let raw: Redis;
  let observer: SchedulerObserver;
  let proxy: PartitionProxy | undefined;

  before(async () => {
    server = await RedisServer.start();
    raw = new Redis(server.port, server.host);
  });

  afterEach(async () => {
    await group.stopAll();
    await observer?.close();
    await proxy?.close();
    proxy = undefined;
  });

  after(async () => {
    raw?.disconnect();
    await server?.dispose();
  });

  const config = (
    instanceId: string,
    namespace: string,
    redis: string,
    behaviour: Partial<ReplicaTaskSpec>,
  ): ReplicaConfig => ({
    instanceId,
    namespace,
    redis,
    module: FAST_MODULE_OPTIONS,
    tasks: [{ ...GUARDED, ...behaviour }],
  });

  it('a replica cut off from Redis: its signal aborts, another replica retries, its late completion is refused', async (t) => {
    const ns = 'partition';
    observer = await SchedulerObserver.start({ redis: server.url }, ns);
    proxy = await PartitionProxy.start(server.port);
    // The cut-off replica's first run holds on, ignoring its signal, until the test releases it.
    const [cut] = await group.start(replica(config('cut-off', ns, proxy.url, { hold: true, ignoreSignal: true })));
    const first = (await cut.waitFor('start', () => true, 10_000)) as unknown as RunStartEvent;
    cut.send({ cmd: 'configure', task: 'guarded', behaviour: { hold: false } });
    const [other] = await group.start(replica(config('other', ns, server.url, {})));
    await sleep(500);
    assert.equal(
      starts(group).filter((e) => e.scheduledAt === first.scheduledAt).length,
      1,
      'the run holding a lease was started again',
    );

    proxy.partition();
    const partitionedAt = await redisTimeMs(raw);
    const retry = (await other.waitFor(
      'start',
      (e) => e.scheduledAt === first.scheduledAt && e.attempt === 2,
      15_000,
    )) as unknown as RunStartEvent;
    const aborted = await cut.waitFor('abort', (e) => e.scheduledAt === first.scheduledAt, 15_000);
    await other.waitFor('finish', (e) => e.scheduledAt === first.scheduledAt && e.attempt === 2, 5_000);
    proxy.heal();
    cut.send({ cmd: 'release', task: 'guarded' });
    const late = await cut.waitFor('finish', (e) => e.scheduledAt === first.scheduledAt && e.attempt === 1, 5_000);
    assert.equal(late.outcome, 'success', 'the cut-off handler completed (and reported success to the scheduler)');
    assert.equal(late.aborted, true, 'its signal had aborted before it completed');
    await sleep(1_500);

    // The retry waited for the lease: the last renewal was at most leaseMs/3 before the partition.
    assert.ok(
      retry.redisNow !== null && retry.redisNow >= partitionedAt + LEASE_MS - LEASE_MS / 3 - 100,
      `retried ${Number(retry.redisNow) - partitionedAt} ms after the partition`,
    );
    assert.ok(retry.fencingToken > first.fencingToken);
    const runs = byFire(await observer.runs('guarded')).get(first.scheduledAt) ?? [];
    const firstAttempt = runs.filter((run) => run.attempt === 1);
    assert.deepEqual(
      firstAttempt.map((run) => [run.status, run.instanceId]),
      [['lost', 'cut-off']],
      `history of the fire: ${describeRuns(runs)}`,
    );
    const secondAttempt = runs.filter((run) => run.attempt === 2);
    assert.deepEqual(
      secondAttempt.map((run) => [run.status, run.instanceId]),
      [['success', 'other']],
      `history of the fire: ${describeRuns(runs)}`,
    );
    const all = starts(group, 'guarded');
    assert.deepEqual(duplicateStarts(all), []);
    assertTokensIncrease(all);
    const warned = cut.eventsOf('log', (e) => e.level === 'warn' && /lease/i.test(String(e.message)));
    assert.ok(warned.length > 0, `the cut-off replica logged no lease warning:\n${cut.output()}`);
    t.diagnostic(
      `figures: partition: abort ${Number(aborted.at) - first.at} ms after start; retry (attempt 2 on other) ` +
        `${Number(retry.redisNow) - partitionedAt} ms after the partition; the cut-off handler's signal aborted ` +
        `${Number(aborted.at) - retry.at} ms after attempt 2 had started elsewhere; late completion refused → lost; ` +
        `tokens ${first.fencingToken} → ${retry.fencingToken}; runs=${all.length} duplicates=0`,
    );
  });

  it('CLIENT PAUSE longer than the lease: the signal aborts, the completion is refused, the fire is retried', async (t) => {
    const ns = 'pause';
    observer = await SchedulerObserver.start({ redis: server.url }, ns);
    const [only] = await group.start(replica(config('paused', ns, server.url, { hold: true, ignoreSignal: true })));
    const first = (await only.waitFor('start', () => true, 10_000)) as unknown as RunStartEvent;
    only.send({ cmd: 'configure', task: 'guarded', behaviour: { hold: false } });
    await sleep(300);
    const pausedAt = await redisTimeMs(raw);
    await server.cli('CLIENT', 'PAUSE', String(2 * LEASE_MS), 'ALL');
    const aborted = await only.waitFor('abort', (e) => e.scheduledAt === first.scheduledAt && e.attempt === 1, 15_000);
    const retry = (await only.waitFor(
      'start',
      (e) => e.scheduledAt === first.scheduledAt && e.attempt === 2,
      15_000,
    )) as unknown as RunStartEvent;
    only.send({ cmd: 'release', task: 'guarded' });
    const late = await only.waitFor('finish', (e) => e.scheduledAt === first.scheduledAt && e.attempt === 1, 5_000);
    assert.equal(late.outcome, 'success');
    await sleep(1_500);

    assert.ok(
      retry.redisNow !== null && retry.redisNow >= pausedAt + 2 * LEASE_MS - 100,
      'the retry starts after the pause',
    );
    const runs = byFire(await observer.runs('guarded')).get(first.scheduledAt) ?? [];
    assert.deepEqual(
      runs.filter((run) => run.attempt === 1).map((run) => run.status),
      ['lost'],
      `history of the fire: ${describeRuns(runs)}`,
    );
    assert.ok(!runs.some((run) => run.attempt === 1 && run.status === 'success'));
    const all = starts(group, 'guarded');
    assert.deepEqual(duplicateStarts(all), []);
    assertTokensIncrease(all);
    const refused = ends(group, 'finish', 'guarded').filter((e) => e.scheduledAt === first.scheduledAt);
    t.diagnostic(
      `figures: CLIENT PAUSE ${2 * LEASE_MS} ms: abort ${Number(aborted.at) - first.at} ms after start; attempt 2 ` +
        `${Number(retry.redisNow) - pausedAt} ms after the pause began; ${refused.length} handler completions of the fire, ` +
        `history ${describeRuns(runs)}`,
    );
  });
});
