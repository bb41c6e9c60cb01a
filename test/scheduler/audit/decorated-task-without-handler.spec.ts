import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../../harness/wait';
import type { ReplicaTaskSpec } from '../replicas/replica-config';
import { describeRuns, redisTimeMs, replica, starts } from '../replicas/replica-scenario';
import { useStandaloneReplicas } from '../replicas/replica-suite';

/*
 * Test audit (issue 17), SCHEDULER.md: "A decorated task whose handler no replica has any more stays listed and
 * does not run." With real replica processes: a replica of the old version declares `legacy` and `common`; a
 * replica of the new version declares `common` only. Once the old one has stopped, `legacy` stays listed and
 * enabled, nobody starts it, nothing about it is written to its history (no failed, lost or missed entry), and
 * the new replica neither logs about it nor stops running `common`. An old replica coming back runs it again.
 */

const NS = 'orphan';
/** How long the new replica is left alone with the task it has no handler for. */
const ALONE_MS = 6_000;

const LEGACY: ReplicaTaskSpec = { name: 'legacy', cron: '* * * * * *', durationMs: 20 };
const COMMON: ReplicaTaskSpec = { name: 'common', cron: '* * * * * *', durationMs: 20 };

describe('a decorated task no live replica has a handler for (standalone)', () => {
  const suite = useStandaloneReplicas(NS);
  const { group } = suite;

  it('stays listed, does not run, and leaves no trace and no error storm; it runs again when its handler is back', async (t) => {
    const [old] = await group.start(replica(suite.config('old-version', [LEGACY, COMMON])));
    const [current] = await group.start(replica(suite.config('new-version', [COMMON])));
    await old.waitUntil('two runs of legacy on the old replica', 10_000, () =>
      old.eventsOf('start', (e) => e.task === 'legacy').length >= 2 ? true : undefined,
    );

    // The old version goes away (graceful stop: its runs end, nothing it claimed is left behind).
    await old.kill('SIGTERM');
    await sleep(500);
    const goneAt = await redisTimeMs(suite.raw);
    const goneLocally = Date.now();
    const before = await suite.observer.task('legacy');
    const historyBefore = await suite.observer.runs('legacy');
    const commonStartsBefore = starts(group, 'common').filter((e) => e.replica === 'new-version').length;
    await sleep(ALONE_MS);

    const listed = (await suite.observer.service.listTasks()).map((task) => task.id);
    assert.deepEqual(listed, ['common', 'legacy'], 'both decorated tasks stay listed');
    const after = await suite.observer.task('legacy');
    assert.equal(after.enabled, true, 'not disabled');
    assert.equal(after.source, 'decorator');
    assert.equal(after.runCount, before.runCount, 'no run counted');
    assert.equal(after.failureCount, 0, 'no failure counted');
    assert.deepEqual(
      starts(group, 'legacy').filter((e) => e.replica !== 'old-version'),
      [],
      'a replica without its handler started it',
    );
    const history = await suite.observer.runs('legacy');
    const newEntries = history.filter((run) => (run.startedAt ?? run.scheduledAt).getTime() > goneAt);
    assert.deepEqual(describeRuns(newEntries), '', 'nothing recorded for legacy once its handler was gone');
    assert.equal(history.length, historyBefore.length, `history grew: ${describeRuns(history)}`);

    // The new replica went on with its own task, and said nothing about the one it cannot run.
    const commonStarts = starts(group, 'common').filter((e) => e.replica === 'new-version').length;
    assert.ok(commonStarts - commonStartsBefore >= ALONE_MS / 1000 - 2, `common ran ${commonStarts} times`);
    const logs = current.eventsOf('log', (e) => e.receivedAt >= goneLocally || String(e.message).includes('legacy'));
    assert.deepEqual(
      logs.map((e) => `${String(e.level)}: ${String(e.message)}`),
      [],
      'the new replica logged warnings or errors',
    );

    // A replica with the handler comes back: the task runs again.
    const [back] = await group.start(replica(suite.config('old-version-again', [LEGACY, COMMON])));
    await back.waitFor('start', (e) => e.task === 'legacy', 10_000);
    t.diagnostic(
      `figures: legacy left ${ALONE_MS} ms without a handler: 0 runs, 0 history entries, ` +
        `${commonStarts - commonStartsBefore} runs of common meanwhile; it ran again once its handler was back`,
    );
  });
});
