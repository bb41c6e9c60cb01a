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
  formatLag,
  redisTimeMs,
  replica,
  startLag,
  starts,
} from './replica-scenario';
import { useClusterReplicas } from './replica-suite';

/*
 * The core guarantees again on a real Redis Cluster (3 masters, 3 replicas): concurrent startup (6), once
 * per fire (1, 3) and SIGKILL recovery (5), with scheduler replicas as separate processes.
 */

const NS = 'cluster';
const LEASE_MS = 1_500;
const TASKS: ReplicaTaskSpec[] = [
  { name: 'tick', cron: '* * * * * *', durationMs: 20 },
  // Every replica's first run of it holds on, so that one can be killed in the middle of it.
  {
    name: 'held',
    cron: '* * * * * *',
    options: { leaseMs: LEASE_MS, retry: { attempts: 3, backoffMs: 100 } },
    hold: true,
  },
];

describe('replicas on a Redis Cluster', () => {
  const suite = useClusterReplicas(NS);
  const { group } = suite;
  const config = (instanceId: string) => suite.config(instanceId, TASKS);

  it('3 replicas booting at once: one definition and one next fire per task', async (t) => {
    await group.start(...[1, 2, 3].map((i) => replica(config(`c${i}`))));
    const tasks = await suite.observer.service.listTasks();
    assert.deepEqual(tasks.map((task) => [task.id, task.version, task.source]).sort(), [
      ['held', 1, 'decorator'],
      ['tick', 1, 'decorator'],
    ]);
    const base = `sf:{${NS}:sched}:`;
    assert.deepEqual((await suite.raw.hkeys(`${base}tasks`)).sort(), ['held', 'tick']);
    const due = (await Promise.all(TASKS.map((task) => suite.raw.zrange(`${base}due:${task.name}`, '0', '-1'))))
      .flat()
      .sort();
    assert.deepEqual(due, ['held', 'tick']);
    t.diagnostic(
      `figures: cluster: 3 replicas booted at once → ${tasks.length} definitions (version 1), one due entry each`,
    );
  });

  it('every fire of a 6 s window runs exactly once across 3 replicas', async (t) => {
    const from = await redisTimeMs(suite.raw);
    await sleep(6_000);
    const to = await redisTimeMs(suite.raw);
    await sleep(1_000);
    const fires = everySecond(from, to);
    const events = starts(group, 'tick');
    const inWindow = events.filter((e) => e.scheduledAt >= from && e.scheduledAt <= to);
    const history = byFire(await suite.observer.runs('tick'));
    for (const fire of fires) {
      assert.equal(
        inWindow.filter((e) => e.scheduledAt === fire).length,
        1,
        `the fire of ${new Date(fire).toISOString()}`,
      );
      assert.deepEqual(
        (history.get(fire) ?? []).map((run) => run.status),
        ['success'],
        new Date(fire).toISOString(),
      );
    }
    assert.deepEqual(duplicateStarts(events), []);
    assert.deepEqual(
      events.filter((e) => e.redisNow !== null && e.redisNow < e.scheduledAt),
      [],
      'started before its fire time',
    );
    assertNothingVanished('tick', await suite.observer.runs('tick'), fires);
    t.diagnostic(
      `figures: cluster: tick fires=${fires.length} runs=${inWindow.length} duplicates=0 lag ${formatLag(startLag(inWindow))}`,
    );
  });

  it('SIGKILL mid-run: another replica retries it after the lease (attempt 2), later fires go on', async (t) => {
    const first = starts(group, 'held').find((e) => e.attempt === 1) as RunStartEvent & { replica: string };
    assert.ok(first, 'one replica holds a run of `held`');
    const victim = group.replicas.find((member) => member.name === first.replica);
    assert.ok(victim);
    // From now on the survivors' runs of `held` end at once (the victim's run holds on: it is already running).
    for (const member of group.replicas)
      if (member !== victim)
        member.send({ cmd: 'configure', task: 'held', behaviour: { hold: false, durationMs: 20 } });
    await sleep(200);
    const killedAt = await redisTimeMs(suite.raw);
    await victim.kill('SIGKILL');
    const retry = (await group.replicas[0 === group.replicas.indexOf(victim) ? 1 : 0].waitUntil(
      'the retry of the killed run',
      15_000,
      () => starts(group, 'held').find((e) => e.scheduledAt === first.scheduledAt && e.attempt === 2),
    )) as RunStartEvent & { replica: string };
    assert.notEqual(retry.replica, victim.name);
    const recoveryMs = Number(retry.redisNow) - killedAt;
    assert.ok(
      recoveryMs >= LEASE_MS - LEASE_MS / 3 - 100,
      `retried ${recoveryMs} ms after the kill: before the lease expired`,
    );
    await sleep(2_500);
    const later = starts(group, 'held').filter(
      (e) => e.attempt === 1 && e.scheduledAt > retry.scheduledAt && e.replica !== victim.name,
    );
    assert.ok(later.length >= 1, 'the later fires go on');
    const runs = byFire(await suite.observer.runs('held')).get(first.scheduledAt) ?? [];
    assert.deepEqual(
      runs.map((run) => [run.attempt, run.status]).sort(),
      [
        [1, 'lost'],
        [2, 'success'],
      ],
      describeRuns(runs),
    );
    assert.deepEqual(duplicateStarts(starts(group)), []);
    t.diagnostic(
      `figures: cluster: SIGKILL → retried by ${retry.replica} ${recoveryMs} ms later (lease ${LEASE_MS} ms), later fires run: ${later.length}`,
    );
  });
});
