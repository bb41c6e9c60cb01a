// The task page's view from histories a live scheduler rarely shows in a test's time: fires skipped,
// missed, running and lost, a task without retries with jitter and its own lease. The scheduler is a stub
// here: the view only reads getTask and getRuns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScheduledTask, TaskRun } from '../../lib';
import type { DashboardSources } from '../../lib/dashboard/dashboard-sources';
import type { ResolvedStatefulDashboardOptions } from '../../lib/dashboard/interfaces/stateful-dashboard-options.interface';
import { TaskView } from '../../lib/dashboard/views/task.view';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000);

const task: ScheduledTask = {
  id: 'sweep',
  name: 'sweep',
  cron: '* * * * *',
  timeZone: 'UTC',
  workflow: 'sweep',
  payload: null,
  enabled: false,
  source: 'decorator',
  overlap: 'skip',
  misfire: 'skip',
  misfireGraceMs: 60_000,
  retry: { attempts: 1, backoffMs: 1_000 },
  maxConsecutiveFailures: 3,
  jitterMs: 5_000,
  leaseMs: 120_000,
  version: 1,
  createdAt: at(600),
  updatedAt: at(600),
  nextRunAt: null,
  lastRunAt: null,
  lastStatus: null,
  runCount: 0,
  failureCount: 0,
};

const run = (
  status: TaskRun['status'],
  secondsAgo: number,
  started: boolean,
  extra: Partial<TaskRun> = {},
): TaskRun => ({
  taskId: 'sweep',
  scheduledAt: at(secondsAgo),
  startedAt: started ? new Date(at(secondsAgo).getTime() + 250) : null,
  finishedAt: null,
  durationMs: null,
  status,
  attempt: 1,
  instanceId: started ? 'gateway-a' : null,
  error: null,
  ...extra,
});

function view(runs: TaskRun[], readOnly: boolean) {
  const scheduler = { getTask: async () => task, getRuns: async () => runs };
  const sources = { scheduler } as unknown as DashboardSources;
  const options: ResolvedStatefulDashboardOptions = { path: '/ops', namespaces: null, readOnly, guard: null };
  return new TaskView(options, sources).build({ id: 'sweep' }, NOW);
}

describe('task view', () => {
  it('draws fires that never started, a running attempt and a lost one', async () => {
    const runs = [
      run('running', 0, true),
      run('lost', 60, true, { error: 'lease lost', durationMs: 30_000, finishedAt: at(30) }),
      run('missed', 120, false),
      run('skipped', 180, false),
    ];
    const page = await view(runs, true);
    const [facts, chart, timeline] = page.blocks;
    assert.equal(facts.kind, 'facts');
    assert.equal(facts.actions, undefined, 'read-only: no action');
    const policies = facts.facts.find((fact) => fact.label === 'Policies')!.value.text;
    assert.equal(
      policies,
      'overlap skip · misfire skip (grace 1 min) · 1 attempt, backoff 1.0 s · jitter 5.0 s · lease 2 min',
    );
    assert.equal(facts.facts.find((fact) => fact.label === 'Last status')!.value.text, 'never ran');
    assert.equal(facts.facts.find((fact) => fact.label === 'Declared by')!.value.text, '@DistributedCron');
    assert.equal(chart.kind === 'lag-chart' && chart.points.length, 2, 'only started runs have a lag');
    assert.ok(timeline.kind === 'table');
    const cells = timeline.rows.map((row) => row.cells.map((cell) => cell.text));
    assert.deepEqual(
      cells.map((row) => [row[1], row[3], row[4], row[5], row[6]]),
      [
        ['running', 'gateway-a', '250 ms', 'running', ''],
        ['lost', 'gateway-a', '250 ms', '30 s', 'lease lost'],
        ['missed', '—', '—', '—', ''],
        ['skipped', '—', '—', '—', ''],
      ],
    );
  });

  it('offers enable for a disabled task when actions are on', async () => {
    const page = await view([], false);
    const facts = page.blocks[0];
    assert.ok(facts.kind === 'facts');
    assert.deepEqual(
      facts.actions?.map((action) => action.action),
      ['trigger-task', 'enable-task'],
    );
    const chart = page.blocks[1];
    assert.ok(chart.kind === 'lag-chart' && chart.points.length === 0);
  });
});
