import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { Registry } from 'prom-client';
import { DistributedSchedulerService, SCHEDULER_METRIC_NAMES, ScheduledRunContext } from '../../../lib';
import { describeOnTargets } from '../../harness/redis-target';
import { pollUntil } from '../../harness/wait';
import { startSchedulerApp } from './scheduler-app';

describeOnTargets('a change of the task set wakes the replicas at once', (target) => {
  let apps: TestingModule[] = [];

  before(() => target.start());
  after(() => target.stop());
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await target.flush();
  });

  async function replica(registry?: Registry): Promise<DistributedSchedulerService> {
    // A poll far longer than the test: only the `changed` message can wake the loop in time.
    const started = await startSchedulerApp({
      redis: { ...target.moduleOptions(), ...(registry ? { metrics: { registry } } : { metrics: false }) },
      scheduler: { namespace: 'wake', pollIntervalMs: 60_000 },
    });
    apps.push(started.app);
    return started.scheduler;
  }

  it('a task added on one replica runs on another within seconds, though both poll once a minute', async () => {
    const registry = new Registry();
    const runner = await replica(registry);
    const runs: ScheduledRunContext[] = [];
    runner.registerWorkflow('job', (run: ScheduledRunContext) => void runs.push(run));
    const other = await replica();
    // The loops' first looks are done (nothing due, nothing to wake for): they sleep a minute now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await other.addTask({ id: 'woken', name: 'woken', cron: '0 0 1 1 *', workflow: 'job', payload: { n: 1 } });
    await other.triggerTask('woken');
    await pollUntil('the run on the other replica', 5_000, async () => (runs.length > 0 ? true : 'not run yet'));
    assert.equal(runs[0].taskId, 'woken');
    assert.deepEqual(runs[0].payload, { n: 1 });
    await pollUntil('its success recorded', 5_000, async () =>
      (await other.getRuns('woken')).some((run) => run.status === 'success') ? true : 'not recorded',
    );
    const text = await registry.metrics();
    assert.match(
      text,
      new RegExp(`^${SCHEDULER_METRIC_NAMES.runs}\\{namespace="wake",task="woken",status="success"\\} 1$`, 'm'),
    );
    assert.match(
      text,
      new RegExp(`^${SCHEDULER_METRIC_NAMES.runDuration}_count\\{namespace="wake",task="woken"\\} 1$`, 'm'),
    );
    assert.match(
      text,
      new RegExp(`^${SCHEDULER_METRIC_NAMES.fireLag}_count\\{namespace="wake",task="woken"\\} 1$`, 'm'),
    );
    assert.match(
      text,
      new RegExp(
        `^${SCHEDULER_METRIC_NAMES.freeSlots}\\{namespace="wake",instance_id="${runner.getStats().instanceId}"\\} 5$`,
        'm',
      ),
    );
    assert.match(text, new RegExp(`^# TYPE ${SCHEDULER_METRIC_NAMES.leasesLost} counter$`, 'm'));
  });
});
