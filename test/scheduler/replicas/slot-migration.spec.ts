import calculateSlot = require('cluster-key-slot');
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatefulError } from '../../../lib';
import { sleep } from '../../harness/wait';
import type { ReplicaTaskSpec } from './replica-config';
import {
  assertNothingVanished,
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
 * The namespace's cluster slot moved to another master key by key, as `redis-cli --cluster reshard` does, while
 * 3 replica processes run an every-second task and the test adds, reads and removes tasks. Every script declares
 * every key it touches, so on the half-moved slot Redis refuses it (ASK, then TRYAGAIN) rather than run it over
 * the keys moved so far: nothing is lost or run twice, no task is missing from a read, and the fires held up
 * by the move run once it ends.
 */

const NS = 'migrating';
const TASKS: ReplicaTaskSpec[] = [{ name: 'tick', cron: '* * * * * *', durationMs: 20 }];
/** Between two keys moved: long enough for every replica to meet the slot half-moved. */
const PAUSE_BETWEEN_KEYS_MS = 400;
/** Fires held up by the move run within this long of its end (late runs, within misfireGraceMs). */
const RESUME_BOUND_MS = 5_000;

describe('replicas across a slot migration of the namespace (Redis Cluster)', () => {
  const suite = useClusterReplicas(NS);
  const { group } = suite;

  it('moving the slot key by key loses no fire, runs none twice, hides no task, and fires resume after', async (t) => {
    await group.start(...[1, 2, 3].map((i) => replica(suite.config(`m${i}`, TASKS))));
    const { service } = suite.observer;
    await sleep(2_000);
    const cluster = suite.target.cluster;
    const slot = calculateSlot(`sf:{${NS}:sched}`);
    const from = await cluster.ownerOf(slot);
    const to = (await cluster.masters()).find((master) => master !== from);
    assert.ok(to);
    const firstFire = await redisTimeMs(suite.raw);

    // The app's own calls while the slot moves: each either answers right or fails with a clear error.
    const reads: string[] = [];
    const added = new Set<string>();
    const removed = new Set<string>();
    let moving = true;
    const app = (async () => {
      for (let i = 0; moving; i++) {
        const id = `extra-${i}`;
        const outcome = async (call: () => Promise<unknown>) =>
          call().then(
            () => 'ok',
            (error: unknown) => {
              assert.ok(error instanceof StatefulError, `a StatefulError, not ${String(error)}`);
              return error.code;
            },
          );
        if ((await outcome(() => service.addTask({ id, name: id, cron: '0 0 1 1 *', workflow: 'tick' }))) === 'ok')
          added.add(id);
        const tick = await service.getTask('tick').then(
          (task) => (task === null ? 'null' : 'the task'),
          (error: StatefulError) => error.code,
        );
        reads.push(tick);
        if (i % 2 === 0 && (await outcome(() => service.removeTask(id))) === 'ok') removed.add(id);
        await sleep(150);
      }
    })();

    await cluster.beginSlotMigration(slot, to);
    let moved = 0;
    for (;;) {
      const keys = (await from.cli('CLUSTER', 'GETKEYSINSLOT', String(slot), '1')).split('\n').filter(Boolean);
      if (keys.length === 0) break;
      // Throws on BUSYKEY: a key written on the importing node while its original was still on the other.
      await cluster.migrateKeys(from, to, keys);
      moved++;
      await sleep(PAUSE_BETWEEN_KEYS_MS);
    }
    await cluster.finishSlotMigration(slot, from, to);
    const movedAt = await redisTimeMs(suite.raw);
    moving = false;
    await app;
    await sleep(RESUME_BOUND_MS);
    const lastFire = (await redisTimeMs(suite.raw)) - 1_500;

    assert.ok(moved >= 6, `the namespace's keys moved one by one (${moved})`);
    assert.ok(!reads.includes('null'), `getTask('tick') answered null during the move: ${reads.join(', ')}`);
    const events = starts(group, 'tick');
    assert.deepEqual(duplicateStarts(events), []);
    const fires = everySecond(firstFire, lastFire);
    const afterMove = events.filter((e) => e.redisNow !== null && e.redisNow >= movedAt);
    assert.ok(
      afterMove.some((e) => (e.redisNow as number) - movedAt <= RESUME_BOUND_MS),
      `no fire ran within ${RESUME_BOUND_MS} ms of the move's end`,
    );
    // A fire due while the previous run's end could not be recorded yet is `skipped` (overlap): an outcome too.
    const runs = await suite.observer.runs('tick');
    const outcomes = assertNothingVanished('tick', runs, fires);
    const listed = new Set((await service.listTasks()).map((task) => task.id));
    for (const id of added)
      assert.equal(listed.has(id), !removed.has(id), `task ${id} added, removed: ${removed.has(id)}`);
    t.diagnostic(
      `figures: slot ${slot} moved key by key (${moved} keys, ${PAUSE_BETWEEN_KEYS_MS} ms apart): fires=${fires.length} ` +
        `(ran ${outcomes.ran}, skipped ${outcomes.skipped}) duplicates=0 reads=${reads.length} (${reads.filter((read) => read !== 'the task').length} refused, 0 null) ` +
        `tasks added=${added.size} removed=${removed.size}; lag ${formatLag(startLag(events))}`,
    );
  });
});
