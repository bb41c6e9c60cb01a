import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil } from '../../harness/wait';
import type { ReplicaTaskSpec, RunStartEvent } from './replica-config';
import { byFire, describeRuns, FAST_MODULE_OPTIONS, redisTimeMs, replica, starts } from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * Claim ahead and crash recovery: a replica claims a fire seconds before its time (a long lookAheadMs), then is
 * killed with SIGKILL before the fire. Its handler never starts; the lease, which runs from the fire time, expires
 * leaseMs after it; then another replica runs the fire. The run that never started costs no attempt and records
 * nothing: the retry is attempt 1 again, so a task with `retry.attempts: 1` still runs its fire, with one outcome.
 */

const NS = 'ahead-crash';
const LEASE_MS = 1_500;
/** How far ahead the victim may claim: the fire is claimed as soon as the victim is up. */
const VICTIM_LOOK_AHEAD_MS = 20_000;
/** How far in the future the fire is: time for the victim to boot and claim it, and to be killed before it. */
const FIRE_IN_MS = 6_000;

/** The 6-field cron expression (UTC) that fires once a year, at the whole second `at`. */
function cronAt(at: number): string {
  const date = new Date(at);
  return `${date.getUTCSeconds()} ${date.getUTCMinutes()} ${date.getUTCHours()} ${date.getUTCDate()} ${date.getUTCMonth() + 1} *`;
}

describe('replicas: SIGKILL after claiming ahead (standalone)', () => {
  const suite = useStandaloneReplicas(NS);
  const { group } = suite;

  it('the killed replica never starts the run; its lease expires leaseMs after the fire time; another replica runs it, same attempt', async (t) => {
    const fireAt = Math.ceil(((await redisTimeMs(suite.raw)) + FIRE_IN_MS) / 1_000) * 1_000;
    const task: ReplicaTaskSpec = {
      name: 'ahead',
      cron: cronAt(fireAt),
      options: { timeZone: 'UTC', leaseMs: LEASE_MS, retry: { attempts: 1, backoffMs: 100 } },
      durationMs: 50,
    };
    const [victim] = await group.start(
      replica(
        suite.config('victim', [task], { module: { ...FAST_MODULE_OPTIONS, lookAheadMs: VICTIM_LOOK_AHEAD_MS } }),
      ),
    );
    const claimed = await pollUntil('the victim claims the fire ahead', 10_000, async () => {
      const runs = await suite.observer.runs('ahead');
      const running = runs.find((run) => run.status === 'running' && run.scheduledAt.getTime() === fireAt);
      return running ?? `runs: ${describeRuns(runs)}`;
    });
    assert.equal(claimed.instanceId, 'victim');
    assert.equal(claimed.startedAt?.getTime(), fireAt, 'a run claimed ahead starts at its fire time');
    const killedAt = await redisTimeMs(suite.raw);
    assert.ok(
      killedAt < fireAt - 500,
      `the victim was up too late to test this: ${fireAt - killedAt} ms before the fire`,
    );
    await victim.kill('SIGKILL');
    const [survivor] = await group.start(replica(suite.config('survivor', [task])));

    const retry = (await survivor.waitFor(
      'start',
      (e) => e.task === 'ahead' && e.scheduledAt === fireAt,
      FIRE_IN_MS + LEASE_MS + 10_000,
    )) as unknown as RunStartEvent;
    assert.equal(retry.attempt, 1, 'the run that never started cost no attempt');
    assert.ok(
      Number(retry.redisNow) >= fireAt + LEASE_MS,
      `retried at ${Number(retry.redisNow) - fireAt} ms after the fire: before its lease (from the fire time) expired`,
    );
    assert.deepEqual(
      starts(group).filter((e) => e.replica === 'victim'),
      [],
      'the victim died before the fire: its handler never started',
    );
    const runs = await pollUntil('the retry is recorded', 5_000, async () => {
      const fire = byFire(await suite.observer.runs('ahead')).get(fireAt) ?? [];
      return fire.some((run) => run.status === 'success') ? fire : `runs: ${describeRuns(fire)}`;
    });
    assert.deepEqual(
      runs.map((run) => [run.attempt, run.status, run.instanceId]).sort(),
      [[1, 'success', 'survivor']],
      `the run that never started records nothing: ${describeRuns(runs)}`,
    );
    t.diagnostic(
      `figures: claimed ahead ${fireAt - killedAt} ms before the fire, killed; retried ${Number(retry.redisNow) - fireAt} ms after the fire (lease ${LEASE_MS} ms)`,
    );
  });
});
