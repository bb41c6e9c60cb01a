import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { TickBatcher } from '../../../lib/scheduler/store/tick-batcher';
import type { FinishRunInput, FinishRunResult } from '../../../lib/scheduler/store/scheduler-store.interface';
import { sleep } from '../../harness/wait';

/** A finish, and the replica it is of (each store is one replica's: here one batcher groups several). */
type ReplicaFinish = FinishRunInput & { instanceId: string };

function finishOf(taskId: string, fence = 1, instanceId = 'a'): ReplicaFinish {
  return { taskId, fence, instanceId, status: 'success' };
}

type FinishBatcher = TickBatcher<ReplicaFinish, FinishRunResult>;
const byReplica = (run: ReplicaFinish) => run.instanceId;

/** A batcher of finishes whose calls are recorded, each run accepted unless its fence is 0. */
function recordingBatcher(): { batcher: FinishBatcher; calls: string[][] } {
  const calls: string[][] = [];
  const batcher: FinishBatcher = new TickBatcher(async (runs) => {
    calls.push(runs.map((run) => run.taskId));
    return runs.map((run): FinishRunResult => ({ accepted: run.fence !== 0, disabled: false, retryAt: null }));
  }, byReplica);
  return { batcher, calls };
}

describe('TickBatcher (finishes)', () => {
  it('sends the finishes of one tick in one call per replica, each caller getting its own result', async () => {
    const { batcher, calls } = recordingBatcher();
    const results = await Promise.all([
      batcher.add(finishOf('a')),
      batcher.add(finishOf('b', 0)),
      batcher.add(finishOf('c')),
      batcher.add(finishOf('d', 1, 'other-replica')),
    ]);
    assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
    assert.deepEqual(
      results.map((result) => result.accepted),
      [true, false, true, true],
    );
  });

  it('a failed call rejects the finishes it carried', async () => {
    const batcher: FinishBatcher = new TickBatcher(() => Promise.reject(new Error('Redis is down')), byReplica);
    const settled = await Promise.allSettled([batcher.add(finishOf('a')), batcher.add(finishOf('b'))]);
    assert.deepEqual(
      settled.map((outcome) => outcome.status),
      ['rejected', 'rejected'],
    );
  });

  it('held, finishes wait until released', async () => {
    const { batcher, calls } = recordingBatcher();
    batcher.hold();
    const finished = batcher.add(finishOf('a'));
    await sleep(20);
    assert.deepEqual(calls, [], 'nothing sent while held');
    batcher.release();
    assert.equal((await finished).accepted, true);
    assert.deepEqual(calls, [['a']]);
  });

  it('held and never released, a finish is sent after at most about 100 ms', async () => {
    const { batcher, calls } = recordingBatcher();
    batcher.hold();
    const began = performance.now();
    await batcher.add(finishOf('a'));
    const waited = performance.now() - began;
    assert.deepEqual(calls, [['a']]);
    assert.ok(waited >= 90 && waited < 5_000, `sent after ${waited} ms`);
  });
});
