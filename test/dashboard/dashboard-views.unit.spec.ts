// Views from states a live app rarely shows in a test's time, their sources stubbed: fires skipped, missed,
// running, lost and retried, a task without retries with jitter and its own lease (the task view only reads
// getTask and getRuns); a clock of Redis far from the app's, a service name the library refuses, and a SCAN
// slower than its reuse period (the routing view and its service directory).
import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodReport, ScheduledTask, ServiceRef, TaskRun } from '../../lib';
import type { DashboardSources } from '../../lib/dashboard/dashboard-sources';
import type { ResolvedStatefulDashboardOptions } from '../../lib/dashboard/interfaces/stateful-dashboard-options.interface';
import type { ViewBlock } from '../../lib/dashboard/views/dashboard-view.interface';
import { RunDetailsRedactor } from '../../lib/dashboard/redaction/run-details-redactor';
import { RoutingView } from '../../lib/dashboard/views/routing.view';
import { SERVICE_LIST_TTL_MS, ServiceDirectory } from '../../lib/dashboard/views/service-directory';
import { TaskView } from '../../lib/dashboard/views/task.view';
import { CapturingLogger } from '../harness/capturing-logger';

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
  errorStack: null,
  ...extra,
});

const options = (readOnly: boolean, guarded = true): ResolvedStatefulDashboardOptions => ({
  path: '/ops',
  namespaces: null,
  readOnly,
  // Behind a guard, the run errors are shown.
  guard: guarded ? { canActivate: () => true } : null,
  allowedHosts: null,
  redact: null,
});

function view(runs: TaskRun[], readOnly: boolean, guarded = true) {
  const scheduler = { getTask: async () => task, getRuns: async () => runs };
  const core = { options: { redis: 'redis://127.0.0.1:1' }, connection: { client: { options: {} } } };
  const sources = { scheduler, core } as unknown as DashboardSources;
  const settings = options(readOnly, guarded);
  return new TaskView(settings, sources, new RunDetailsRedactor(settings, sources)).build({ id: 'sweep' }, NOW);
}

function rowsOf(blocks: ViewBlock[], id: string): string[][] {
  const block = blocks.find((candidate) => candidate.id === id);
  assert.ok(block?.kind === 'table', `a table ${id}`);
  return block.rows.map((row) => row.cells.map((cell) => cell.text));
}

/** A promise resolved or rejected from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, resolve, reject };
}

/** Whether a promise is settled once the microtasks and I/O callbacks queued now have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  const waiting = Symbol('waiting');
  const first = await Promise.race([promise, new Promise((resolve) => setImmediate(() => resolve(waiting)))]);
  return first !== waiting;
}

/** A service directory on a clock the test moves. */
class ClockedDirectory extends ServiceDirectory {
  time = 0;
  protected override now(): number {
    return this.time;
  }
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

  it('shows no payload as null, and of a run error only its size without a guard', async () => {
    const page = await view([run('lost', 60, true, { error: 'lease lost' })], true, false);
    const [facts, , timeline] = page.blocks;
    assert.ok(facts.kind === 'facts' && timeline.kind === 'table');
    assert.equal(facts.facts.find((fact) => fact.label === 'Payload')!.value.text, 'null');
    assert.equal(timeline.rows[0].cells[6].text, '[hidden: 10 chars]');
  });

  it("shows a failed run's stack behind a guard (first frame under the error, the whole on hover), redacted", async () => {
    const errorStack =
      '    at callApi (/app/dist/api.js:10:5)\n    at run (/app/dist/job.js:3:1) fetching https://u:hunter2secret@api';
    const failed = run('failed', 60, true, { error: 'boom', errorStack, durationMs: 5, finishedAt: at(59) });
    const shown = (await view([failed], true)).blocks[2];
    assert.ok(shown.kind === 'table');
    const cell = shown.rows[0].cells[6];
    assert.equal(cell.text, 'boom');
    assert.equal(cell.sub, 'at callApi (/app/dist/api.js:10:5)');
    assert.ok(cell.title?.includes('at run (/app/dist/job.js:3:1)'), cell.title);
    assert.ok(!cell.title?.includes('hunter2secret'), cell.title);
    const hidden = (await view([failed], true, false)).blocks[2];
    assert.ok(hidden.kind === 'table');
    const hiddenCell = hidden.rows[0].cells[6];
    assert.equal(hiddenCell.sub, undefined);
    assert.ok(!hiddenCell.title?.includes('callApi'), hiddenCell.title);
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

describe('task view retries', () => {
  it('charts the fire lag of first attempts only: a retry starts a backoff after its fire time', async () => {
    const runs = [
      run('failed', 60, true, { attempt: 2, startedAt: new Date(at(60).getTime() + 5_000) }),
      run('retry', 60, true, { attempt: 1 }),
      run('success', 120, true, { attempt: 1 }),
    ];
    const page = await view(runs, true);
    const chart = page.blocks[1];
    assert.ok(chart.kind === 'lag-chart');
    assert.deepEqual(
      chart.points.map((point) => point.lagMs),
      [250, 250],
    );
    assert.match(chart.note!, /first attempt/);
    assert.deepEqual(
      rowsOf(page.blocks, 'runs').map((row) => [row[2], row[4]]),
      [
        ['2', 'retry'],
        ['1', '250 ms'],
        ['1', '250 ms'],
      ],
    );
  });
});

describe('routing view', () => {
  const REDIS_NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

  function routingView(services: ServiceRef[], pods: PodReport[]) {
    const asked: string[] = [];
    const routing = {
      findServices: async () => services,
      getPods: async (namespace: string, serviceName: string) => {
        asked.push(`${namespace}/${serviceName}`);
        return pods;
      },
      getWorkloadState: async (_namespace: string, names: string[]) => {
        asked.push(...names.map((name) => `workload ${name}`));
        return {};
      },
    };
    const sources = {
      routing,
      core: { options: { routableStates: ['running'] } },
      redisTime: async () => REDIS_NOW,
    } as unknown as DashboardSources;
    const resolved = options(false);
    return { view: new RoutingView(resolved, sources, new ServiceDirectory(resolved, sources)), asked };
  }

  it('says when a pod last reported by the clock of Redis, whatever the app clock says', async () => {
    const pods: PodReport[] = [
      { podId: 0, state: 'running', weight: 1, lastSeenAt: REDIS_NOW - 5_000, live: true },
      { podId: 1, state: 'draining', weight: null, lastSeenAt: REDIS_NOW - 190_000, live: false },
    ];
    const { view } = routingView([{ namespace: 'demo', serviceName: 'game' }], pods);
    const page = await view.build({});
    assert.deepEqual(
      rowsOf(page.blocks, 'pods').map((row) => [row[3], row[4]]),
      [
        ['5.0 s ago', 'live'],
        ['3 min 10 s ago', 'silent'],
      ],
    );
  });

  it('marks a service whose name the library refuses, sends nothing for it, and shows the others', async () => {
    const pods: PodReport[] = [{ podId: 0, state: 'running', weight: 1, lastSeenAt: REDIS_NOW, live: true }];
    const { view, asked } = routingView(
      [
        { namespace: 'bad ns', serviceName: 'svc' },
        { namespace: 'demo', serviceName: 'game' },
      ],
      pods,
    );
    const page = await view.build({});
    const services = rowsOf(page.blocks, 'services');
    assert.deepEqual(services[0].slice(0, 4), ['bad ns', 'svc', '—', 'unreadable name']);
    assert.deepEqual(services[1].slice(0, 5), ['demo', 'game', '—', '1', '1']);
    assert.ok(!asked.some((call) => call.includes('bad ns') || call === 'workload svc'), asked.join(', '));
    assert.equal(rowsOf(page.blocks, 'pods').length, 1, 'the first readable service is detailed');
    const selectedBad = await view.build({ namespace: 'bad ns', service: 'svc' });
    const notice = selectedBad.blocks.find((block) => block.id === 'pods');
    assert.ok(notice?.kind === 'notice' && /invalid parameter "namespace"/.test(notice.text));
  });
});

describe('service directory', () => {
  it('runs one SCAN at a time, reuses its list for 30 s from when it ended, and serves it while the next runs', async () => {
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const scans: Array<ReturnType<typeof deferred<ServiceRef[]>>> = [];
    const routing = {
      findServices: () => {
        scans.push(deferred<ServiceRef[]>());
        return scans[scans.length - 1].promise;
      },
    };
    const directory = new ClockedDirectory(options(true), { routing } as unknown as DashboardSources);
    const first = [{ namespace: 'a', serviceName: 'one' }];
    const second = [{ namespace: 'a', serviceName: 'two' }];

    const waiting = Array.from({ length: 5 }, () => directory.list());
    assert.equal(scans.length, 1, 'the first list is waited for, by every page at once');
    assert.equal(await settled(waiting[0]), false);
    directory.time = 10_000; // the SCAN took 10 s
    scans[0].resolve(first);
    for (const list of waiting) assert.deepEqual((await list).services, first);

    directory.time = 10_000 + SERVICE_LIST_TTL_MS - 1;
    assert.deepEqual((await directory.list()).services, first);
    assert.equal(scans.length, 1, 'reused for 30 s counted from the end of the SCAN');

    directory.time = 10_000 + SERVICE_LIST_TTL_MS;
    const stale = directory.list();
    assert.equal(await settled(stale), true, 'the previous list is served at once');
    assert.deepEqual((await stale).services, first);
    assert.equal(scans.length, 2, 'and the next SCAN started');
    for (const later of [1, 60_000, 600_000]) {
      directory.time = 10_000 + SERVICE_LIST_TTL_MS + later;
      assert.deepEqual((await directory.list()).services, first);
    }
    assert.equal(scans.length, 2, 'never a second SCAN while one runs, however long it takes');
    scans[1].resolve(second);
    await new Promise(setImmediate); // the SCAN's end is recorded
    assert.deepEqual((await directory.list()).services, second);

    directory.time += SERVICE_LIST_TTL_MS;
    assert.deepEqual((await directory.list()).services, second);
    scans[2].reject(new Error('LOADING Redis is loading the dataset in memory'));
    await new Promise(setImmediate);
    assert.deepEqual((await directory.list()).services, second, 'a failed SCAN keeps the previous list');
    assert.equal(scans.length, 4, 'and the next page asks again');
    assert.equal(logger.find('warn', /Listing the services failed; the previous list is shown: .*LOADING/).length, 1);
  });

  it('lets the next page try again after a first SCAN failed', async () => {
    let calls = 0;
    const routing = {
      findServices: async () => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
        return [];
      },
    };
    const directory = new ClockedDirectory(options(true), { routing } as unknown as DashboardSources);
    await assert.rejects(directory.list(), /connection lost/);
    assert.deepEqual((await directory.list()).services, []);
    assert.equal(calls, 2);
  });
});
