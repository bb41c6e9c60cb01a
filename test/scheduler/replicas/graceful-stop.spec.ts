import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../../harness/wait';
import type { ReplicaTaskSpec, RunStartEvent } from './replica-config';
import { byFire, describeRuns, FAST_MODULE_OPTIONS, firstStartOfEach, replica, starts } from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * Guarantee 8 (graceful stop): SIGTERM to a replica running two handlers. It claims nothing more at once,
 * lets the handler that ends in time finish, aborts the other at shutdownTimeoutMs; that one is recorded
 * `cancelled` and retried by the other replica. Nothing the stopped replica claimed is lost.
 */

const NS = 'drain';
const SHUTDOWN_TIMEOUT_MS = 2_500;
const options = { leaseMs: 1_500, retry: { attempts: 2, backoffMs: 100 } };
const TASKS: ReplicaTaskSpec[] = [
  { name: 'brief', cron: '* * * * * *', options, durationMs: 50 },
  { name: 'endless', cron: '* * * * * *', options, durationMs: 50 },
];
/** Declared by the stopping replica only: after SIGTERM, nobody may start it. */
const ONLY_ON_STOPPING: ReplicaTaskSpec = { name: 'only-here', cron: '* * * * * *', options, durationMs: 20 };

describe('replicas: SIGTERM drain (standalone)', () => {
  const suite = useStandaloneReplicas(NS, { raw: false });
  const { group } = suite;
  const config = (instanceId: string, tasks: ReplicaTaskSpec[]) =>
    suite.config(instanceId, tasks, { module: { ...FAST_MODULE_OPTIONS, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS } });

  it('stops claiming at once, lets a handler finish, aborts the other at the timeout; nothing claimed is lost', async (t) => {
    const holding = TASKS.map((task) => ({ ...task, hold: true }));
    const [stopping] = await group.start(replica(config('stopping', [...holding, ONLY_ON_STOPPING])));
    const held = await firstStartOfEach(stopping, TASKS);
    const [staying] = await group.start(replica(config('staying', TASKS)));
    await stopping.waitFor('start', (e) => e.task === ONLY_ON_STOPPING.name, 5_000);

    // Mid-second, away from the fires: no claim is in flight when the signal comes.
    await sleep(1_400 - (Date.now() % 1_000));
    const exit = stopping.kill('SIGTERM');
    const signalled = await stopping.waitFor('signal', () => true, 5_000);
    await sleep(1_000);
    stopping.send({ cmd: 'release', task: 'brief' });
    const brief = held.get('brief') as RunStartEvent;
    const endless = held.get('endless') as RunStartEvent;
    const briefEnd = await stopping.waitFor(
      'finish',
      (e) => e.task === 'brief' && e.scheduledAt === brief.scheduledAt,
      5_000,
    );
    assert.equal(briefEnd.outcome, 'success');
    assert.equal(briefEnd.aborted, false, 'a handler that ends within shutdownTimeoutMs is not aborted');
    const aborted = await stopping.waitFor('abort', (e) => e.task === 'endless', 10_000);
    const abortAfterMs = Number(aborted.at) - Number(signalled.at);
    assert.ok(
      abortAfterMs >= SHUTDOWN_TIMEOUT_MS - 200,
      `aborted ${abortAfterMs} ms after SIGTERM, before shutdownTimeoutMs`,
    );
    assert.ok(abortAfterMs <= SHUTDOWN_TIMEOUT_MS + 3_000, `aborted only ${abortAfterMs} ms after SIGTERM`);
    const exited = await stopping.exited(10_000);
    await exit;
    const retry = (await staying.waitFor(
      'start',
      (e) => e.task === 'endless' && e.scheduledAt === endless.scheduledAt,
      10_000,
    )) as unknown as RunStartEvent;
    assert.equal(retry.attempt, 2);
    await sleep(1_000);

    const claimedAfterSignal = stopping.eventsOf('start', (e) => Number(e.at) > Number(signalled.at));
    assert.deepEqual(claimedAfterSignal, [], 'the stopping replica started runs after SIGTERM');
    const briefRuns = byFire(await suite.observer.runs('brief')).get(brief.scheduledAt) ?? [];
    assert.deepEqual(
      briefRuns.map((run) => [run.attempt, run.status, run.instanceId]),
      [[1, 'success', 'stopping']],
      describeRuns(briefRuns),
    );
    const endlessRuns = byFire(await suite.observer.runs('endless')).get(endless.scheduledAt) ?? [];
    // The aborted attempt ends `cancelled` (or `retry`, the status of a failed attempt that is retried).
    const abortedEntry = endlessRuns.filter((run) => run.attempt === 1);
    assert.equal(abortedEntry.length, 1, describeRuns(endlessRuns));
    assert.ok(['cancelled', 'retry'].includes(abortedEntry[0].status), describeRuns(endlessRuns));
    assert.equal(abortedEntry[0].instanceId, 'stopping');
    assert.deepEqual(
      endlessRuns.filter((run) => run.attempt === 2).map((run) => [run.status, run.instanceId]),
      [['success', 'staying']],
      describeRuns(endlessRuns),
    );
    // Nothing it claimed is lost: every run it started is in the history, finished by it, none `lost`.
    for (const started of starts(group).filter((e) => e.replica === 'stopping')) {
      const entries = (byFire(await suite.observer.runs(started.task)).get(started.scheduledAt) ?? []).filter(
        (run) => run.attempt === started.attempt,
      );
      assert.equal(
        entries.length,
        1,
        `${started.task}@${new Date(started.scheduledAt).toISOString()}: ${describeRuns(entries)}`,
      );
      assert.notEqual(
        entries[0].status,
        'lost',
        `${started.task}@${new Date(started.scheduledAt).toISOString()} was lost`,
      );
    }
    t.diagnostic(
      `figures: SIGTERM → brief finished (success, not aborted); endless aborted ${abortAfterMs} ms after SIGTERM ` +
        `(shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS}), recorded ${abortedEntry[0].status}, retried as attempt 2 by staying; exit ${JSON.stringify(exited)}; ` +
        `starts after SIGTERM=0`,
    );
  });
});
