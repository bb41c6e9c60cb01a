import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil, sleep } from '../../harness/wait';
import type { ReplicaTaskSpec } from './replica-config';
import {
  assertNothingVanished,
  byFire,
  describeRuns,
  duplicateStarts,
  redisTimeMs,
  replica,
  starts,
} from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * Guarantee 9 (Redis down), and the two misfire policies: the redis-server process is shut down (its data
 * saved) for ~5 s and started again on the same port with the same data. No handler starts meanwhile, every
 * replica's health indicator says down and why, and scheduling resumes by itself: the task with misfire
 * `runOnce` runs the latest missed fire once (late), the one with `skip` records every missed fire `missed`.
 */

const NS = 'down';
const PERIOD_MS = 2_000;
const GRACE_MS = 300;
const TASKS: ReplicaTaskSpec[] = [
  { name: 'catchup', cron: '*/2 * * * * *', options: { misfire: 'runOnce', misfireGraceMs: GRACE_MS }, durationMs: 20 },
  { name: 'skipper', cron: '*/2 * * * * *', options: { misfire: 'skip', misfireGraceMs: GRACE_MS }, durationMs: 20 },
];

describe('replicas: Redis down and back (standalone)', () => {
  const suite = useStandaloneReplicas(NS, {
    raw: (server) => {
      const raw = new Redis(server.port, server.host, { retryStrategy: () => 100 });
      raw.on('error', () => undefined);
      return raw;
    },
  });
  const { group } = suite;
  const config = (instanceId: string) =>
    suite.config(instanceId, TASKS, { commandTimeoutMs: 500, reconnectDelayMs: 100, healthIntervalMs: 250 });

  it('nothing starts while Redis is down, health says down, scheduling resumes with each misfire policy', async (t) => {
    await group.start(replica(config('r1')), replica(config('r2')));
    for (const task of TASKS)
      await group.replicas[0].waitUntil(`a run of ${task.name}`, 10_000, () => starts(group, task.name)[0]);
    // Shut down mid-period: no run in flight, none claimed ahead. (A run started just before the shutdown is
    // retried at the resumption, and under the default overlap `skip` that retry makes the missed fire `skipped`.)
    await sleep(PERIOD_MS + 1_000 - (Date.now() % PERIOD_MS));
    // SHUTDOWN SAVE: the data survives (the harness's server keeps its dir across start()).
    await suite.server.cli('SHUTDOWN', 'SAVE').catch(() => undefined);
    await pollUntil('redis-server to exit', 10_000, async () => (suite.server.running ? 'still running' : true));
    const downConfirmed = Date.now();
    // Back ~5 s later, 600 ms after a fire: reconnecting takes ~100 ms plus at most a poll, so the first look
    // after the outage comes well past the last fire's grace (the `skip` task must not run it).
    const backAt = Math.ceil((downConfirmed + 5_000 - 600) / PERIOD_MS) * PERIOD_MS + 600;
    await sleep(backAt - Date.now());
    await suite.server.start();
    const upAt = Date.now();
    // The first fire run after the outage.
    const resumed = await group.replicas[0].waitUntil('the first run after the outage', 15_000, () =>
      starts(group, 'catchup').find((e) => e.at > upAt && e.attempt === 1),
    );
    await sleep(PERIOD_MS + 1_000);
    const end = await redisTimeMs(suite.raw);

    // Fail closed: no handler started while Redis was away (a claim made just before may start right after).
    const duringOutage = starts(group).filter((e) => e.at > downConfirmed + 300 && e.at < upAt);
    assert.deepEqual(duringOutage, [], 'a handler started while Redis was down');
    for (const member of group.replicas) {
      const down = member.eventsOf(
        'health',
        (e) => e.status === 'down' && Number(e.at) > downConfirmed && Number(e.at) < upAt,
      );
      assert.ok(down.length > 0, `${member.name}: health never said down during the outage:\n${member.output()}`);
      assert.match(String(down[down.length - 1].message), /\S/, 'the health indicator says why');
      await member.waitFor('health', (e) => e.status === 'up' && Number(e.at) > upAt, 5_000);
    }

    // runOnce: one late run of the latest missed fire; every older one since the outage `missed`. (Fires
    // between the last look and the shutdown may have been claimed: they are not counted.)
    const resumeNow = resumed.redisNow as number;
    assert.ok(resumeNow !== null, 'the resumed handler read Redis TIME');
    assert.equal(resumed.attempt, 1);
    assert.ok(resumeNow - resumed.scheduledAt < PERIOD_MS, 'runOnce runs the most recent missed fire');
    assert.ok(
      resumeNow - resumed.scheduledAt > GRACE_MS,
      `the resumed run is late (${resumeNow - resumed.scheduledAt} ms): a misfire`,
    );
    const catchupRuns = await suite.observer.runs('catchup');
    const catchupFires = byFire(catchupRuns);
    const outageFires = [...catchupFires.keys()].filter((fire) => fire > downConfirmed && fire < resumed.scheduledAt);
    assert.ok(outageFires.length >= 2, `fires during the outage: ${describeRuns(catchupRuns)}`);
    for (const fire of outageFires) {
      assert.deepEqual(
        (catchupFires.get(fire) ?? []).map((run) => run.status),
        ['missed'],
        describeRuns(catchupRuns),
      );
    }
    // skip: every fire from the outage to the resumption `missed`; the first run after is a fire after it
    // (a run claimed just before the shutdown may be retried after it: a retry, not a misfire).
    const skipperRuns = await suite.observer.runs('skipper');
    const skipperFires = byFire(skipperRuns);
    const skipperOutage = [...skipperFires.keys()].filter(
      (fire) => fire > downConfirmed && fire <= resumed.scheduledAt,
    );
    assert.ok(
      skipperOutage.includes(resumed.scheduledAt),
      `skipper has no entry for ${new Date(resumed.scheduledAt).toISOString()}`,
    );
    for (const fire of skipperOutage) {
      assert.deepEqual(
        (skipperFires.get(fire) ?? []).map((run) => run.status),
        ['missed'],
        describeRuns(skipperRuns),
      );
    }
    const skipperAfter = starts(group, 'skipper').filter((e) => e.at > upAt);
    assert.ok(skipperAfter.length > 0, 'skipper runs again after the outage');
    const ranMissed = skipperAfter.filter((e) => e.attempt === 1 && e.scheduledAt <= resumed.scheduledAt);
    assert.deepEqual(
      ranMissed,
      [],
      `skip ran a missed fire; history: ${describeRuns(skipperRuns)}; resumed: ${JSON.stringify(resumed)}`,
    );

    assert.deepEqual(duplicateStarts(starts(group)), []);
    const counts = TASKS.map((task) => {
      const first = Math.min(...starts(group, task.name).map((e) => e.scheduledAt));
      const fires: number[] = [];
      for (let fire = first; fire <= end - 1_000; fire += PERIOD_MS) fires.push(fire);
      const runs = task.name === 'catchup' ? catchupRuns : skipperRuns;
      return `${task.name}: ${JSON.stringify(assertNothingVanished(task.name, runs, fires))}`;
    });
    t.diagnostic(
      `figures: Redis down ${upAt - downConfirmed} ms; starts while down=0; health down on every replica; ` +
        `runOnce ran ${new Date(resumed.scheduledAt).toISOString()} ${resumeNow - resumed.scheduledAt} ms late and missed ` +
        `${outageFires.length}; skip missed ${skipperOutage.length}; ${counts.join('; ')}; duplicates=0`,
    );
  });
});
