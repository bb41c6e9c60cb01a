import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ReplicaGroup } from '../../harness/replica-process';
import { pollUntil, sleep } from '../../harness/wait';
import type { ReplicaTaskSpec, RunEndEvent, RunStartEvent } from './replica-config';
import { byFire, describeRuns, duplicateStarts, ends, everySecond, replica, starts } from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * The overlap and retry policies across two replicas (separate processes): a handler of 2.5 s on an
 * every-second cron, under `skip`, `bufferOne` and `allow`; a task failing its first tries (exponential
 * backoff, then success); a task failing every fire (disabled after maxConsecutiveFailures).
 */

const NS = 'policies';
const SLOW_MS = 2_500;
const TASKS: ReplicaTaskSpec[] = [
  { name: 'overlap-skip', cron: '* * * * * *', options: { overlap: 'skip', leaseMs: 1_500 }, durationMs: SLOW_MS },
  {
    name: 'overlap-buffer',
    cron: '* * * * * *',
    options: { overlap: 'bufferOne', leaseMs: 1_500 },
    durationMs: SLOW_MS,
  },
  { name: 'overlap-allow', cron: '* * * * * *', options: { overlap: 'allow', leaseMs: 1_500 }, durationMs: SLOW_MS },
  {
    name: 'flaky',
    cron: '*/4 * * * * *',
    options: { retry: { attempts: 3, backoffMs: 300 } },
    durationMs: 20,
    failAttempts: 2,
  },
  {
    name: 'doomed',
    cron: '* * * * * *',
    options: { retry: { attempts: 1, backoffMs: 100 }, maxConsecutiveFailures: 2 },
    durationMs: 20,
    failAttempts: 99,
  },
];

interface RunInterval {
  start: RunStartEvent & { replica: string };
  finish: RunEndEvent;
}

/** Each handler run of `task` from its start line to its finish line (runs not finished yet left out). */
function intervals(group: ReplicaGroup, task: string): RunInterval[] {
  const finished = ends(group, 'finish', task);
  return starts(group, task).flatMap((start) => {
    const finish = finished.find((f) => f.scheduledAt === start.scheduledAt && f.attempt === start.attempt);
    return finish ? [{ start, finish }] : [];
  });
}

/** Pairs of runs whose handlers ran at the same time. */
function overlapping(runs: RunInterval[]): Array<[RunInterval, RunInterval]> {
  const pairs: Array<[RunInterval, RunInterval]> = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const [a, b] = [runs[i], runs[j]];
      if (a.start.at < b.finish.at && b.start.at < a.finish.at) pairs.push([a, b]);
    }
  }
  return pairs;
}

describe('replicas: overlap and retry policies across two replicas (standalone)', () => {
  const suite = useStandaloneReplicas(NS, { raw: false });
  const { group } = suite;
  let windowStart = 0;
  let windowEnd = 0;

  const config = (instanceId: string) => suite.config(instanceId, TASKS);

  before(async () => {
    await group.start(replica(config('r1')), replica(config('r2')));
    windowStart = Date.now();
    await sleep(8_000);
    windowEnd = Date.now();
    await sleep(SLOW_MS + 500);
  });

  it("overlap 'skip': never two runs at once, on any replica; the fires in between are recorded skipped", async (t) => {
    const runs = intervals(group, 'overlap-skip');
    assert.ok(runs.length >= 2, `runs: ${runs.length}`);
    assert.deepEqual(
      overlapping(runs).map(([a, b]) => [a.start.replica, b.start.replica]),
      [],
      'two runs of a skip task at once',
    );
    const history = await suite.observer.runs('overlap-skip');
    const skipped = history.filter((run) => run.status === 'skipped');
    assert.ok(skipped.length >= 2, describeRuns(history));
    const startedFires = new Set(starts(group, 'overlap-skip').map((e) => e.scheduledAt));
    for (const run of skipped)
      assert.ok(!startedFires.has(run.scheduledAt.getTime()), `a skipped fire ran: ${run.scheduledAt.toISOString()}`);
    t.diagnostic(
      `figures: skip: runs=${runs.length} skipped=${skipped.length} overlaps=0 replicas=${[...new Set(runs.map((r) => r.start.replica))].join(',')}`,
    );
  });

  it("overlap 'bufferOne': never two at once; one waiting fire runs as soon as the previous run ends, a second is skipped", async (t) => {
    const runs = intervals(group, 'overlap-buffer').sort((a, b) => a.start.at - b.start.at);
    assert.deepEqual(
      overlapping(runs).map(([a, b]) => [a.start.replica, b.start.replica]),
      [],
      'two runs of a bufferOne task at once',
    );
    const buffered = runs.filter(
      (run, i) => i > 0 && run.start.at - run.start.scheduledAt > 1_000 && run.start.at - runs[i - 1].finish.at < 1_000,
    );
    assert.ok(
      buffered.length >= 1,
      `no buffered run started right after its predecessor: ${runs.map((r) => `${r.start.scheduledAt}@${r.start.at}-${r.finish.at}`).join(' ')}`,
    );
    const history = await suite.observer.runs('overlap-buffer');
    const skipped = history.filter((run) => run.status === 'skipped');
    assert.ok(skipped.length >= 1, describeRuns(history));
    const gaps = buffered.map((run) => run.start.at - (runs[runs.indexOf(run) - 1] as RunInterval).finish.at);
    t.diagnostic(
      `figures: bufferOne: runs=${runs.length} buffered runs=${buffered.length} (started ${gaps.join('/')} ms after the previous ended) skipped=${skipped.length} overlaps=0`,
    );
  });

  it("overlap 'allow': every fire runs, runs overlap (also across replicas)", async (t) => {
    const runs = intervals(group, 'overlap-allow');
    const pairs = overlapping(runs);
    assert.ok(pairs.length >= 2, `overlapping pairs: ${pairs.length}`);
    const history = await suite.observer.runs('overlap-allow');
    assert.deepEqual(
      history.filter((run) => run.status === 'skipped'),
      [],
      'allow skipped a fire',
    );
    const fires = everySecond(windowStart + 1_000, windowEnd);
    const startedFires = new Set(starts(group, 'overlap-allow').map((e) => e.scheduledAt));
    for (const fire of fires)
      assert.ok(startedFires.has(fire), `the fire of ${new Date(fire).toISOString()} did not run`);
    const acrossReplicas = pairs.filter(([a, b]) => a.start.replica !== b.start.replica).length;
    t.diagnostic(
      `figures: allow: fires=${fires.length} runs=${runs.length} overlapping pairs=${pairs.length} (across replicas ${acrossReplicas}) skipped=0`,
    );
  });

  it('retry: failed tries are retried with exponential backoff (attempt + 1), then succeed; no fire runs twice', async (t) => {
    const history = await suite.observer.runs('flaky');
    const retriedFire = [...byFire(history)].find(([, runs]) => runs.some((run) => run.attempt === 3));
    assert.ok(retriedFire, `no fire reached attempt 3: ${describeRuns(history)}`);
    const [fire, runs] = retriedFire;
    assert.deepEqual(
      runs.map((run) => [run.attempt, run.status]).sort(),
      [
        [1, 'retry'],
        [2, 'retry'],
        [3, 'success'],
      ],
      describeRuns(runs),
    );
    assert.match(String(runs.find((run) => run.attempt === 1)?.error), /planned failure/);
    const attempts = starts(group, 'flaky')
      .filter((e) => e.scheduledAt === fire)
      .sort((a, b) => a.attempt - b.attempt);
    const finishes = ends(group, 'finish', 'flaky').filter((e) => e.scheduledAt === fire);
    const finishOf = (attempt: number) => Number(finishes.find((e) => e.attempt === attempt)?.at);
    const backoff = [attempts[1].at - finishOf(1), attempts[2].at - finishOf(2)];
    assert.ok(backoff[0] >= 300 - 50, `attempt 2 started ${backoff[0]} ms after attempt 1 failed (backoff 300)`);
    assert.ok(backoff[1] >= 600 - 50, `attempt 3 started ${backoff[1]} ms after attempt 2 failed (backoff 600)`);
    assert.deepEqual(duplicateStarts(starts(group)), []);
    t.diagnostic(
      `figures: retry: attempts 1,2 failed → 3 succeeded; waits ${backoff.join(' / ')} ms (backoff 300 / 600); replicas ${attempts.map((e) => e.replica).join(',')}`,
    );
  });

  it('maxConsecutiveFailures: a task failing every fire is disabled after 2 failed fires, and no replica runs it again', async (t) => {
    await pollUntil('doomed to be disabled', 5_000, async () =>
      (await suite.observer.task('doomed')).enabled ? 'still enabled' : true,
    );
    const task = await suite.observer.task('doomed');
    assert.equal(task.failureCount, 2);
    assert.equal(task.nextRunAt, null);
    const history = await suite.observer.runs('doomed');
    assert.deepEqual(
      history.map((run) => run.status),
      ['failed', 'failed'],
      describeRuns(history),
    );
    assert.equal(starts(group, 'doomed').length, 2);
    const warnings = group
      .events('log')
      .filter((e) => e.level === 'warn' && /doomed/.test(String(e.message)) && /disabl/i.test(String(e.message)));
    assert.ok(warnings.length >= 1, `no warning about disabling doomed:\n${group.output()}`);
    t.diagnostic(
      `figures: maxConsecutiveFailures=2: failed fires=2, then disabled (warning logged by ${warnings[0].replica})`,
    );
  });
});
