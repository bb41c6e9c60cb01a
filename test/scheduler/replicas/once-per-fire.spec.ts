import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollUntil, sleep } from '../../harness/wait';
import type { ReplicaTaskSpec } from './replica-config';
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
import { useStandaloneReplicas } from './replica-suite';

/*
 * Guarantees 1 (once per fire), 3 (nothing vanishes) and 6 (concurrent startup) with 5 replicas as
 * separate processes on one redis-server: the handlers' own start lines and the run history must agree.
 */

const NS = 'once';
const TASKS: ReplicaTaskSpec[] = [
  { name: 'tick', cron: '* * * * * *', durationMs: 20 },
  { name: 'tock', cron: '*/2 * * * * *', durationMs: 20 },
];

describe('replicas: once per fire, concurrent startup (standalone)', () => {
  const suite = useStandaloneReplicas(NS);
  const { group } = suite;
  const config = (instanceId: string) => suite.config(instanceId, TASKS);

  it('5 replicas booting at once with the same decorated tasks: one definition and one next fire per task', async (t) => {
    await group.start(...[1, 2, 3, 4, 5].map((i) => replica(config(`r${i}`))));
    const tasks = await suite.observer.service.listTasks();
    assert.deepEqual(tasks.map((task) => task.id).sort(), ['tick', 'tock']);
    for (const task of tasks) {
      assert.equal(task.source, 'decorator');
      assert.equal(task.version, 1, `${task.id} was rewritten at startup: version ${task.version}`);
      assert.ok(task.nextRunAt instanceof Date, `${task.id} has no next fire`);
    }
    // In Redis (the design's layout): one definition each, and each task once in the due indexes.
    const base = `sf:{${NS}:sched}:`;
    assert.deepEqual((await suite.raw.hkeys(`${base}tasks`)).sort(), ['tick', 'tock']);
    const dueKeys = await suite.raw.keys(`${base}due:*`);
    const due = (await Promise.all(dueKeys.map((key) => suite.raw.zrange(key, '0', '-1')))).flat().sort();
    assert.deepEqual(due, ['tick', 'tock']);
    t.diagnostic(
      `figures: 5 replicas booted at once → ${tasks.length} definitions (version 1), due entries: ${due.join(', ')}`,
    );
  });

  it('every fire of an 8 s window runs exactly once across 5 replicas: handler lines and history agree', async (t) => {
    const from = await redisTimeMs(suite.raw);
    await sleep(8_000);
    const to = await redisTimeMs(suite.raw);
    await sleep(1_000); // the last fires' handlers finish and are recorded
    for (const task of TASKS) {
      const step = task.name === 'tick' ? 1_000 : 2_000;
      const fires = everySecond(from, to).filter((fire) => fire % step === 0);
      const events = starts(group, task.name);
      const inWindow = events.filter((e) => e.scheduledAt >= from && e.scheduledAt <= to);
      const runs = await suite.observer.runs(task.name);
      const history = byFire(runs);
      for (const fire of fires) {
        const started = inWindow.filter((e) => e.scheduledAt === fire);
        assert.equal(
          started.length,
          1,
          `${task.name}: the fire of ${new Date(fire).toISOString()} started ${started.length} times`,
        );
        assert.equal(started[0].attempt, 1);
        const entries = history.get(fire) ?? [];
        assert.equal(
          entries.length,
          1,
          `${task.name}: history of ${new Date(fire).toISOString()}: ${describeRuns(entries)}`,
        );
        assert.equal(entries[0].status, 'success');
        assert.equal(entries[0].instanceId, started[0].instanceId, 'the history names the replica whose handler ran');
      }
      assert.deepEqual(duplicateStarts(events), [], `${task.name}: a fire started twice`);
      const early = events.filter((e) => e.redisNow !== null && e.redisNow < e.scheduledAt);
      assert.deepEqual(early, [], `${task.name}: started before its fire time (Redis clock)`);
      assertNothingVanished(task.name, runs, fires);
      const perReplica = new Map<string, number>();
      for (const e of inWindow) perReplica.set(e.instanceId, (perReplica.get(e.instanceId) ?? 0) + 1);
      t.diagnostic(
        `figures: ${task.name}: fires=${fires.length} runs=${inWindow.length} duplicates=0 lag ${formatLag(startLag(inWindow))} ` +
          `per replica ${[...perReplica].map(([id, n]) => `${id}:${n}`).join(' ')}`,
      );
    }
  });

  it('a restart with unchanged definitions keeps the next fire: the fires while every replica was down still run', async (t) => {
    const before = await suite.observer.task('tick');
    await Promise.all(group.replicas.map((running) => running.kill('SIGTERM')));
    const stopped = await suite.observer.task('tick');
    assert.ok(stopped.nextRunAt, 'tick has a next fire');
    const kept = stopped.nextRunAt.getTime();
    // Two more fires pass while no replica is up.
    await pollUntil('two fires to pass with every replica down', 10_000, async () =>
      (await redisTimeMs(suite.raw)) >= kept + 2_000 ? true : 'not yet',
    );
    const restartedAt = await redisTimeMs(suite.raw);
    await group.start(...[6, 7, 8].map((i) => replica(config(`r${i}`))));
    const afterRestart = await suite.observer.task('tick');
    assert.equal(afterRestart.version, before.version, 'an unchanged definition is not rewritten');
    assert.equal(afterRestart.createdAt.getTime(), before.createdAt.getTime());
    assert.equal(afterRestart.updatedAt.getTime(), before.updatedAt.getTime());
    const firstAfter = await group.replicas[group.replicas.length - 1].waitUntil('the kept fire to start', 10_000, () =>
      starts(group, 'tick').find((e) => e.scheduledAt === kept),
    );
    assert.equal(firstAfter.attempt, 1);
    await sleep(1_500);
    const runs = await suite.observer.runs('tick');
    const missedWhileDown = everySecond(kept, restartedAt);
    const counts = assertNothingVanished('tick', runs, missedWhileDown);
    assert.deepEqual(duplicateStarts(starts(group)), [], 'a fire started twice across the restart');
    t.diagnostic(
      `figures: restart: next fire kept (${new Date(kept).toISOString()}), fires while down=${missedWhileDown.length} ` +
        `→ ran=${counts.ran} skipped=${counts.skipped} missed=${counts.missed}, duplicates=0`,
    );
  });
});
