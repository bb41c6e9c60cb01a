import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { FinishBatcher } from '../../../lib/scheduler/store/finish-batcher';
import type { FinishRunInput, FinishRunResult } from '../../../lib/scheduler/store/scheduler-store.interface';
import { sleep } from '../../harness/wait';

function finishOf(taskId: string, fence = 1, instanceId = 'a'): FinishRunInput {
  return { taskId, fence, instanceId, status: 'success', historyLength: 20 };
}

/** A batcher whose calls are recorded, each run accepted unless its fence is 0. */
function recordingBatcher(): { batcher: FinishBatcher; calls: string[][] } {
  const calls: string[][] = [];
  const batcher = new FinishBatcher(async (runs) => {
    calls.push(runs.map((run) => run.taskId));
    return runs.map((run): FinishRunResult => ({ accepted: run.fence !== 0, disabled: false, retryAt: null }));
  });
  return { batcher, calls };
}

describe('FinishBatcher', () => {
  it('sends the finishes of one tick in one call per replica, each caller getting its own result', async () => {
    const { batcher, calls } = recordingBatcher();
    const results = await Promise.all([
      batcher.finish(finishOf('a')),
      batcher.finish(finishOf('b', 0)),
      batcher.finish(finishOf('c')),
      batcher.finish(finishOf('d', 1, 'other-replica')),
    ]);
    assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
    assert.deepEqual(
      results.map((result) => result.accepted),
      [true, false, true, true],
    );
  });

  it('a failed call rejects the finishes it carried', async () => {
    const batcher = new FinishBatcher(() => Promise.reject(new Error('Redis is down')));
    const settled = await Promise.allSettled([batcher.finish(finishOf('a')), batcher.finish(finishOf('b'))]);
    assert.deepEqual(
      settled.map((outcome) => outcome.status),
      ['rejected', 'rejected'],
    );
  });

  it('held, finishes wait until released', async () => {
    const { batcher, calls } = recordingBatcher();
    batcher.hold();
    const finished = batcher.finish(finishOf('a'));
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
    await batcher.finish(finishOf('a'));
    const waited = performance.now() - began;
    assert.deepEqual(calls, [['a']]);
    assert.ok(waited >= 90 && waited < 5_000, `sent after ${waited} ms`);
  });
});
