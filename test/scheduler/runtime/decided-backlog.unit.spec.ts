import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecidedBacklog } from '../../../lib/scheduler/runtime/decided-backlog';
import type { ClaimDecision } from '../../../lib/scheduler/store/scheduler-store.interface';
import type { StoredTask } from '../../../lib/scheduler/store/stored-task.interface';

const REDIS_NOW = 1_000_000;

function decision(taskId: string, dueAt: number | undefined, runAt: number | null = dueAt ?? null): ClaimDecision {
  return {
    taskId,
    expectedFireTime: dueAt ?? REDIS_NOW,
    version: 1,
    runAt,
    missed: [],
    nextRunAt: null,
    nextDueScore: null,
    dueAt,
  };
}

const task = (id: string, misfireGraceMs = 60_000) => ({ id, misfireGraceMs }) as StoredTask;

describe('DecidedBacklog', () => {
  it('keeps on-time decisions with a fire to run, and gives them back earliest first, each once', () => {
    const backlog = new DecidedBacklog(1_000);
    const tasks = new Map(['a', 'b', 'late', 'none'].map((id) => [id, task(id)]));
    backlog.keep(
      [
        decision('a', REDIS_NOW),
        decision('b', REDIS_NOW + 100),
        decision('late', undefined),
        decision('none', 5, null),
      ],
      tasks,
      REDIS_NOW,
      0,
    );
    assert.equal(backlog.size, 2, 'a misfire decision (no dueAt) and one without a run are not kept');
    const first = backlog.take(1, 10);
    assert.deepEqual(
      first.decisions.map((d) => d.taskId),
      ['a'],
    );
    assert.deepEqual([...first.tasks.keys()], ['a']);
    assert.deepEqual(
      backlog.take(5, 10).decisions.map((d) => d.taskId),
      ['b'],
    );
    assert.equal(backlog.size, 0);
  });

  it('drops a decision once its fire would be a misfire, or once it is older than the maximum age', () => {
    const backlog = new DecidedBacklog(1_000);
    const tasks = new Map([
      ['tight', task('tight', 200)],
      ['loose', task('loose', 60_000)],
    ]);
    backlog.keep([decision('tight', REDIS_NOW), decision('loose', REDIS_NOW)], tasks, REDIS_NOW, 0);
    assert.deepEqual(
      backlog.take(5, 250).decisions.map((d) => d.taskId),
      ['loose'],
      'tight is a misfire 200 ms after its due time',
    );
    backlog.keep([decision('loose', REDIS_NOW)], tasks, REDIS_NOW, 0);
    assert.deepEqual(backlog.take(5, 1_001).decisions, [], 'older than the maximum age');
  });

  it('a new look replaces what the last one kept; clear empties it', () => {
    const backlog = new DecidedBacklog(1_000);
    const tasks = new Map([
      ['a', task('a')],
      ['b', task('b')],
    ]);
    backlog.keep([decision('a', REDIS_NOW)], tasks, REDIS_NOW, 0);
    backlog.keep([decision('b', REDIS_NOW)], tasks, REDIS_NOW, 0);
    assert.deepEqual(
      backlog.take(5, 1).decisions.map((d) => d.taskId),
      ['b'],
    );
    backlog.keep([decision('a', REDIS_NOW)], tasks, REDIS_NOW, 0);
    backlog.clear();
    assert.equal(backlog.size, 0);
  });
});
