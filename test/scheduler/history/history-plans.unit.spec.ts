import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../harness/prng';
import { planFaults } from './fault-plan';
import { planWorkload } from './workload-plan';

/*
 * The plans of a history run are a function of the seed alone, so that a failing seed replays the same
 * calls and faults; and a short run still meets every kind of fault.
 */

describe('history plans', () => {
  it('are the same for the same seed, and differ for another', () => {
    assert.deepEqual(planWorkload(mulberry32(42), 150_000), planWorkload(mulberry32(42), 150_000));
    assert.deepEqual(planFaults(mulberry32(42), 150_000, 'cluster'), planFaults(mulberry32(42), 150_000, 'cluster'));
    assert.notDeepEqual(planWorkload(mulberry32(42), 150_000), planWorkload(mulberry32(43), 150_000));
  });

  it('meet every kind of fault in the CI length (a slot migration on a cluster only)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const kinds = (target: 'standalone' | 'cluster') =>
        new Set(planFaults(mulberry32(seed), 150_000, target).map((f) => f.kind));
      assert.deepEqual([...kinds('standalone')].sort(), [
        'client-pause',
        'debug-sleep',
        'pubsub-kill',
        'sigkill',
        'sigstop',
      ]);
      assert.ok(kinds('cluster').has('slot-migration'), `seed ${seed}`);
    }
  });

  it('bump a task payload version only upwards, and never reuse a removed task id for a new task', () => {
    const ops = planWorkload(mulberry32(5), 600_000);
    const versions = new Map<string, number>();
    for (const op of ops) {
      if (op.op === 'addTask') assert.ok(!versions.has(op.taskId), `${op.taskId} added twice`);
      const version = op.intent.version;
      if (version === undefined) continue;
      assert.ok(
        version > (versions.get(op.taskId) ?? 0),
        `${op.taskId}: v${version} after v${versions.get(op.taskId)}`,
      );
      versions.set(op.taskId, version);
    }
    const kinds = new Set(ops.map((op) => op.op));
    assert.deepEqual([...kinds].sort(), [
      'addTask',
      'disableTask',
      'enableTask',
      'removeTask',
      'triggerTask',
      'updateTask',
    ]);
  });
});
