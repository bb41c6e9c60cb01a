import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../../harness/wait';
import type { ReplicaTaskSpec, RunStartEvent } from './replica-config';
import {
  assertNothingVanished,
  byFire,
  describeRuns,
  duplicateStarts,
  everySecond,
  firstStartOfEach,
  redisTimeMs,
  replica,
  starts,
} from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * Guarantee 5 (crash recovery): a replica killed with SIGKILL in the middle of two runs. Once the leases
 * expire, the other replica retries the run that has attempts left (attempt 2) and records the other one
 * failed; both tasks' later fires go on.
 */

const NS = 'crash';
const LEASE_MS = 1_500;
const TASKS: ReplicaTaskSpec[] = [
  {
    name: 'retried',
    cron: '* * * * * *',
    options: { leaseMs: LEASE_MS, retry: { attempts: 3, backoffMs: 100 } },
    durationMs: 50,
  },
  {
    name: 'single',
    cron: '* * * * * *',
    options: { leaseMs: LEASE_MS, retry: { attempts: 1, backoffMs: 100 } },
    durationMs: 50,
  },
];

describe('replicas: SIGKILL mid-run (standalone)', () => {
  const suite = useStandaloneReplicas(NS);
  const { group } = suite;
  const config = (instanceId: string, hold: boolean) =>
    suite.config(
      instanceId,
      TASKS.map((task) => ({ ...task, hold })),
    );

  it('after the lease, the run is retried elsewhere (attempt 2) or recorded failed; later fires go on', async (t) => {
    // The victim first, alone, so that it holds both tasks' runs when it dies.
    const [victim] = await group.start(replica(config('victim', true)));
    const held = await firstStartOfEach(victim, TASKS);
    const [survivor] = await group.start(replica(config('survivor', false)));
    await sleep(300);
    const killedAt = await redisTimeMs(suite.raw);
    await victim.kill('SIGKILL');

    const retried = held.get('retried') as RunStartEvent;
    const single = held.get('single') as RunStartEvent;
    const retry = (await survivor.waitFor(
      'start',
      (e) => e.task === 'retried' && e.scheduledAt === retried.scheduledAt,
      15_000,
    )) as unknown as RunStartEvent;
    assert.equal(retry.attempt, 2);
    // The victim's last renewal was at most leaseMs/3 before the kill.
    const recoveryMs = Number(retry.redisNow) - killedAt;
    assert.ok(
      recoveryMs >= LEASE_MS - LEASE_MS / 3 - 100,
      `retried ${recoveryMs} ms after the kill: before the lease expired`,
    );
    assert.ok(recoveryMs <= LEASE_MS + 10_000, `retried only ${recoveryMs} ms after the kill`);
    for (const task of TASKS) {
      await survivor.waitFor(
        'start',
        (e) => e.task === task.name && e.attempt === 1 && Number(e.scheduledAt) > Math.max(killedAt, retry.scheduledAt),
        10_000,
      );
    }
    await sleep(1_500);
    const end = await redisTimeMs(suite.raw);

    const retriedRuns = byFire(await suite.observer.runs('retried')).get(retried.scheduledAt) ?? [];
    assert.deepEqual(
      retriedRuns.map((run) => [run.attempt, run.status, run.instanceId]).sort(),
      [
        [1, 'lost', 'victim'],
        [2, 'success', 'survivor'],
      ],
      describeRuns(retriedRuns),
    );
    const singleRuns = await suite.observer.runs('single');
    const singleFire = byFire(singleRuns).get(single.scheduledAt) ?? [];
    assert.ok(
      singleFire.some((run) => run.attempt === 1 && run.status === 'lost'),
      `the crashed attempt is recorded lost: ${describeRuns(singleFire)}`,
    );
    assert.ok(
      singleFire.every((run) => run.attempt === 1 && (run.status === 'lost' || run.status === 'failed')),
      describeRuns(singleFire),
    );
    assert.equal(
      starts(group, 'single').filter((e) => e.scheduledAt === single.scheduledAt).length,
      1,
      'no retry without attempts left',
    );
    assert.deepEqual(duplicateStarts(starts(group)), []);
    for (const task of TASKS) {
      const first = held.get(task.name) as RunStartEvent;
      assertNothingVanished(
        task.name,
        await suite.observer.runs(task.name),
        everySecond(first.scheduledAt, end - 1_000),
      );
    }
    const later = starts(group).filter((e) => e.replica === 'survivor' && e.attempt === 1);
    t.diagnostic(
      `figures: retried ${recoveryMs} ms after SIGKILL (lease ${LEASE_MS} ms) with attempt 2; single: ${singleFire.map((run) => run.status).join('+')}; ` +
        `later fires run by the survivor: ${later.length}; duplicates=0`,
    );
  });
});
