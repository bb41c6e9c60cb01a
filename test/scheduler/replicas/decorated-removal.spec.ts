import type { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DistributedSchedulerService, ErrorCode, StatefulError } from '../../../lib';
import { pollUntil } from '../../harness/wait';
import { startSchedulerApp } from '../runtime/scheduler-app';
import type { ReplicaTaskSpec } from './replica-config';
import { FAST_MODULE_OPTIONS, replica } from './replica-scenario';
import { useStandaloneReplicas } from './replica-suite';

/*
 * removeTask on a task declared in code (@DistributedCron) while a live replica declares it: refused, since the
 * next replica to restart would declare it again; disableTask is the way, and it lasts across restarts. Once no
 * live replica declares it (the decorator deleted and deployed), removeTask removes it for good.
 */

const NS = 'decorated-removal';
const REPORT: ReplicaTaskSpec = { name: 'weekday-report', cron: '0 9 * * 1-5' };
const OTHER: ReplicaTaskSpec = { name: 'other', cron: '0 10 * * *' };

describe('replicas: removeTask on a decorated task (standalone)', () => {
  const suite = useStandaloneReplicas(NS, { raw: false });
  const { group } = suite;
  let app: TestingModule;
  /** A scheduler of the namespace with the replicas' fast options: a replica is live for 2.5 s after its last look. */
  let scheduler: DistributedSchedulerService;

  before(async () => {
    ({ app, scheduler } = await startSchedulerApp({
      redis: { redis: suite.server.url, metrics: false },
      scheduler: { namespace: NS, instanceId: 'operator', ...FAST_MODULE_OPTIONS },
    }));
  });
  after(async () => {
    await app?.close();
  });

  it('is refused while a live replica declares it, pointing to disableTask; disabled, it stays so across restarts', async () => {
    const [first] = await group.start(replica(suite.config('replica-1', [REPORT, OTHER])));
    const before = await scheduler.getTask(REPORT.name);
    assert.equal(before?.source, 'decorator');

    await assert.rejects(
      () => scheduler.removeTask(REPORT.name),
      (error: unknown) =>
        error instanceof StatefulError &&
        error.code === ErrorCode.INVALID_PARAMETER &&
        error.field === 'id' &&
        /declared in code \(@DistributedCron\)/.test(error.message) &&
        /disableTask/.test(error.message),
    );
    assert.equal((await scheduler.getTask(REPORT.name))?.version, before?.version, 'nothing written');

    await scheduler.disableTask(REPORT.name);
    await first.kill('SIGKILL');
    await group.start(
      replica(suite.config('replica-1b', [REPORT, OTHER])),
      replica(suite.config('replica-2', [REPORT])),
    );
    const restarted = await scheduler.getTask(REPORT.name);
    assert.equal(restarted?.enabled, false, 'a restart declares it again, still disabled');
    assert.equal(restarted?.nextRunAt, null);
    await group.stopAll();
  });

  it('once no live replica declares it (the decorator deleted and deployed), removeTask removes it for good', async () => {
    await group.start(replica(suite.config('with-report', [REPORT, OTHER])));
    await group.stopAll();
    // The next deploy: the decorator is gone from the code.
    await group.start(replica(suite.config('without-report', [OTHER])));
    const removed = await pollUntil('the old replicas no longer count as live', 10_000, async () => {
      try {
        return await scheduler.removeTask(REPORT.name);
      } catch (error) {
        if (error instanceof StatefulError && error.code === ErrorCode.INVALID_PARAMETER) return 'still declared';
        throw error;
      }
    });
    assert.equal(removed, true);
    await group.stopAll();
    await group.start(replica(suite.config('without-report-2', [OTHER])));
    assert.equal(await scheduler.getTask(REPORT.name), null, 'a restart does not bring it back');
    assert.ok(await scheduler.getTask(OTHER.name));
  });
});
