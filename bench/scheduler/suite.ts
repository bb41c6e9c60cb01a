/*
 * npm run bench -- --suite=scheduler [--quick] [--rounds=N] [--steady-tasks=N] [--steady-seconds=N]
 *   [--herd-tasks=N] [--steady-concurrency=N] [--herd-concurrency=N] [--impls=library,bullmq,nest-schedule]
 *   [--loads=steady,spread,herd] [--work-ms=N] [--write]
 *
 * Starts its own redis-server. Per round, for each implementation in turn (A B C, B C A, ...): three replica
 * processes (./replica.ts) on an emptied Redis; a steady load of tasks firing every second, measured over a
 * window of whole seconds after a warm-up; then, with new replicas, the spread load: as many tasks, every second
 * too, but each fire due at its own offset in [0, 1 000) ms after its second (library `jitterMs: 1000`; BullMQ
 * `every: 1000` from a `startDate` at the task's offset; not @nestjs/schedule: no offset within a second); then a
 * herd of tasks all due in the same second. Every handler notes `Date.now()` as it starts with its scheduled time
 * (one machine, one clock: the lag is start − due time on the same clock, the due time of a spread fire being its
 * second plus its offset). Redis commands come from `INFO commandstats` deltas over the
 * window (commands inside scripts included), Redis CPU from `INFO cpu`, replica CPU from `process.cpuUsage()`
 * of each replica over the same window; all three are divided by the handler starts in the window.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplicaGroup, type ReplicaEvent } from '../../test/harness/replica-process';
import { RedisServer } from '../../test/harness/redis-server';
import { median, percentile } from '../measure';
import { jitterOffset } from '../../lib/scheduler/cron/jitter-offset';
import {
  BENCH_QUEUE,
  EVERY_SECOND,
  LOAD_KINDS,
  SCHEDULER_IMPLEMENTATIONS,
  SPREAD_MS,
  cronAt,
  type BenchReplicaConfig,
  type LoadKind,
  type SchedulerImplementation,
} from './replica-config';

const REPLICAS = 3;

/** Issue 17's targets for the library in the steady load (1 000 tasks every second, 100 slots per replica). */
const STEADY_LAG_P99_LIMIT_MS = 20;
const STEADY_COMMANDS_PER_FIRE_LIMIT = 25;

/**
 * A BullMQ spread scheduler's offset in the second: fixed per task (BullMQ keeps one offset per `every` scheduler),
 * from the library's own hash, so that both spread their tasks alike (uniformly over the second).
 */
const bullmqSpreadOffset = (task: number) => jitterOffset(`t${task}`, 0, SPREAD_MS);

interface SchedulerSettings {
  quick: boolean;
  rounds: number;
  steadyTasks: number;
  steadySeconds: number;
  herdTasks: number;
  /**
   * Library `maxConcurrent` per replica / BullMQ worker `concurrency` in the steady and spread loads: 100, as
   * issue 17 fixes it (fewer slots than a second's fires: 1 000 tasks / 3 replicas is 334 per replica).
   */
  steadyConcurrency: number;
  /** The same in the herd: 100, as issue 11 fixes it (far fewer slots than fires). */
  herdConcurrency: number;
  workMs: number;
  warmupMs: number;
  /** After the steady window: how long late starts are still waited for. */
  graceMs: number;
  /** After the herd's second: how long its starts are waited for. */
  herdWaitMs: number;
  implementations: SchedulerImplementation[];
  /** The loads to run, in this order (`--loads=`; default all: steady, spread, herd). */
  loads: LoadKind[];
  write: boolean;
}

function schedulerSettings(argv: string[]): SchedulerSettings {
  const quick = argv.includes('--quick');
  const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const implementations = (value('impls')?.split(',') ?? [...SCHEDULER_IMPLEMENTATIONS]) as SchedulerImplementation[];
  for (const impl of implementations)
    if (!SCHEDULER_IMPLEMENTATIONS.includes(impl)) throw new Error(`unknown scheduler implementation ${impl}`);
  const loads = (value('loads')?.split(',') ?? [...LOAD_KINDS]) as LoadKind[];
  for (const load of loads) if (!LOAD_KINDS.includes(load)) throw new Error(`unknown scheduler load ${load}`);
  return {
    quick,
    rounds: Number(value('rounds') ?? (quick ? 1 : 3)),
    steadyTasks: Number(value('steady-tasks') ?? (quick ? 100 : 1_000)),
    steadySeconds: Number(value('steady-seconds') ?? (quick ? 5 : 30)),
    herdTasks: Number(value('herd-tasks') ?? (quick ? 1_000 : 10_000)),
    steadyConcurrency: Number(value('steady-concurrency') ?? 100),
    herdConcurrency: Number(value('herd-concurrency') ?? 100),
    workMs: Number(value('work-ms') ?? 0),
    warmupMs: quick ? 2_000 : 3_000,
    graceMs: 3_000,
    herdWaitMs: quick ? 4_000 : 8_000,
    implementations,
    loads: LOAD_KINDS.filter((load) => loads.includes(load)),
    write: !quick || argv.includes('--write'),
  };
}

/** One implementation under one load in one round. */
interface SchedulerMeasurement {
  impl: SchedulerImplementation;
  load: LoadKind;
  round: number;
  tasks: number;
  expected: number;
  run: number;
  duplicated: number;
  missed: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Handler starts between the two snapshots (the denominator of the three figures below). */
  runsInWindow: number;
  redisCommandsPerRun: number;
  redisCpuUsPerRun: number;
  replicaCpuUsPerRun: number;
  setupMs: number;
  /** The most called commands in the window: calls per run and Redis µs per call. */
  topCommands: Array<{ command: string; callsPerRun: number; usecPerCall: number }>;
  /**
   * Set when the measurement is not valid (the herd's setup ran past its second), or, for BullMQ's spread, when
   * its schedulers were upserted past their start date (the late ones are then due at their upsert time).
   */
  problem?: string;
}

/** Medians over the rounds (counts summed). */
interface SchedulerRow extends Omit<SchedulerMeasurement, 'round' | 'problem' | 'setupMs' | 'topCommands'> {
  rounds: number;
}

interface SchedulerCheck {
  target: string;
  value: number | string;
  limit: number | string;
  pass: boolean;
}

interface RedisSnapshot {
  at: number;
  commands: number;
  cpuUs: number;
  /** Per command: calls and µs of Redis CPU (a script's usec includes the commands it calls). */
  byCommand: Map<string, { calls: number; usec: number }>;
}

async function snapshot(admin: Redis): Promise<RedisSnapshot> {
  const at = Date.now();
  const [stats, cpu] = await Promise.all([admin.info('commandstats'), admin.info('cpu')]);
  let commands = 0;
  const byCommand = new Map<string, { calls: number; usec: number }>();
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (match[1] === 'info') continue;
    commands += Number(match[2]);
    byCommand.set(match[1], { calls: Number(match[2]), usec: Number(match[3]) });
  }
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { at, commands, cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6, byCommand };
}

async function sleepUntil(at: number): Promise<void> {
  const ms = at - Date.now();
  if (ms > 0) await sleep(ms);
}

const nextSecond = (at: number) => Math.ceil(at / 1_000) * 1_000;

/** Each replica's handler starts as [task, scheduledAt, startedAt] triples, and its CPU in the window. */
async function collect(group: ReplicaGroup): Promise<{ starts: number[][]; cpuUs: number }> {
  for (const replica of group.replicas) replica.send({ cmd: 'report' });
  let cpuUs = 0;
  const starts: number[][] = [];
  for (const replica of group.replicas) {
    const end = await replica.waitFor('report-end', () => true, 60_000);
    cpuUs += Number(end.cpuUs ?? 0);
    starts.push(replica.eventsOf('starts').flatMap((e: ReplicaEvent) => e.s as number[]));
  }
  return { starts, cpuUs };
}

/** BullMQ's job schedulers: a cron `pattern`, or (spread) `every` second from a start at the task's offset. */
type BullmqSchedule = { pattern: string } | { spreadFrom: number };

async function upsertBullmq(url: string, tasks: number, schedule: BullmqSchedule): Promise<void> {
  const { hostname, port } = new URL(url);
  const queue = new Queue(BENCH_QUEUE, { connection: { host: hostname, port: Number(port) } });
  try {
    let next = 0;
    const worker = async () => {
      while (next < tasks) {
        const i = next++;
        await queue.upsertJobScheduler(
          `t${i}`,
          // BullMQ 6.7: the first job of an `every` scheduler is due at `startDate` (when still ahead), the next
          // ones at the previous + `every`, a catch-up keeping the offset (getJobSchedulerEveryNextMillis.lua).
          'pattern' in schedule
            ? { pattern: schedule.pattern, tz: 'UTC' }
            : { every: 1_000, startDate: schedule.spreadFrom + bullmqSpreadOffset(i) },
          { name: 'bench', data: { i }, opts: { removeOnComplete: true, removeOnFail: 1_000 } },
        );
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  } finally {
    await queue.close();
  }
}

/** Starts the three replicas, puts the load in place, measures, stops them. */
async function measure(
  server: RedisServer,
  admin: Redis,
  config: SchedulerSettings,
  impl: SchedulerImplementation,
  load: LoadKind,
  round: number,
): Promise<SchedulerMeasurement> {
  await admin.flushall();
  const tasks = load === 'herd' ? config.herdTasks : config.steadyTasks;
  /** Time for the herd's tasks to be in place before their second: boot (declared at boot) or setup. */
  const herdBudget = () => 2_000 + tasks * (impl === 'nest-schedule' ? 0.5 : 1);
  let herdAt = impl === 'nest-schedule' && load === 'herd' ? nextSecond(Date.now() + 4_000 + herdBudget()) : 0;
  const group = new ReplicaGroup();
  const script = join(__dirname, 'replica.js');
  try {
    await group.start(
      ...Array.from({ length: REPLICAS }, (_, n) => {
        const replicaConfig: BenchReplicaConfig = {
          implementation: impl,
          kind: load,
          redis: server.url,
          instanceId: `${impl}-${n}`,
          tasks,
          herdAt,
          concurrency: load === 'herd' ? config.herdConcurrency : config.steadyConcurrency,
          workMs: config.workMs,
        };
        return {
          name: `${impl}-${n}`,
          script,
          env: { SF_BENCH_REPLICA: JSON.stringify(replicaConfig) },
          readyTimeoutMs: 60_000,
        };
      }),
    );
    if (load === 'herd' && impl !== 'nest-schedule') herdAt = nextSecond(Date.now() + herdBudget());
    const cron = load === 'herd' ? cronAt(herdAt) : EVERY_SECOND;
    const setupBegan = Date.now();
    /** BullMQ's spread: the whole second its schedulers start from (each at its offset after it). */
    const spreadFrom = load === 'spread' && impl === 'bullmq' ? nextSecond(setupBegan + 2_000 + tasks) : 0;
    if (impl === 'library') {
      group.replicas[0].send({ cmd: 'setup', cron, jitterMs: load === 'spread' ? SPREAD_MS : 0 });
      const done = await group.replicas[0].waitUntil('setup', 120_000, () =>
        group.replicas[0].events.find((e) => e.event === 'setup-done' || e.event === 'setup-failed'),
      );
      if (done.event === 'setup-failed') throw new Error(`library setup failed: ${String(done.message)}`);
    } else if (impl === 'bullmq')
      await upsertBullmq(server.url, tasks, load === 'spread' ? { spreadFrom } : { pattern: cron });
    const setupMs = Date.now() - setupBegan;

    let fireTimes: number[];
    let windowStart: number;
    let windowEnd: number;
    let collectAt: number;
    let problem: string | undefined;
    if (spreadFrom > 0 && Date.now() > spreadFrom)
      problem = `BullMQ's spread schedulers were upserted until ${Date.now() - spreadFrom} ms past their start`;
    if (load !== 'herd') {
      const first = nextSecond(Math.max(Date.now(), spreadFrom) + config.warmupMs);
      fireTimes = Array.from({ length: config.steadySeconds }, (_, k) => first + k * 1_000);
      // Steady: the window is centred on the whole seconds (their fires start at once); spread: fires due in
      // [first, first + seconds), started across it.
      const shift = load === 'steady' ? 500 : 0;
      windowStart = first - shift;
      windowEnd = first + config.steadySeconds * 1_000 - shift;
      collectAt = windowEnd + shift + config.graceMs;
    } else {
      fireTimes = [herdAt];
      windowStart = herdAt - 500;
      windowEnd = herdAt + config.herdWaitMs;
      collectAt = windowEnd;
      if (Date.now() > windowStart)
        problem = `the herd's tasks were in place only ${herdAt - Date.now()} ms before their second`;
    }
    await sleepUntil(windowStart);
    const before = await snapshot(admin);
    for (const replica of group.replicas) replica.send({ cmd: 'mark' });
    await sleepUntil(windowEnd);
    const after = await snapshot(admin);
    for (const replica of group.replicas) replica.send({ cmd: 'markEnd' });
    await sleepUntil(collectAt);
    const { starts, cpuUs } = await collect(group);

    const fires = new Set(fireTimes);
    /**
     * A start's due time: its scheduled time, plus, for the library's spread, the fire's jitter offset (its
     * `scheduledAt` is the whole second; BullMQ's jobs report their own due time).
     */
    const dueOf =
      load === 'spread' && impl === 'library'
        ? (task: number, scheduledAt: number) => scheduledAt + jitterOffset(`t${task}`, scheduledAt, SPREAD_MS)
        : (_task: number, scheduledAt: number) => scheduledAt;
    /** The second a fire belongs to (a spread fire's offset is < 1 s, so that the second is its floor). */
    const secondOf = (due: number) => (load === 'spread' ? Math.floor(due / 1_000) * 1_000 : due);
    const counts = new Map<string, number>();
    const lags: number[] = [];
    let runsInWindow = 0;
    for (const flat of starts) {
      for (let k = 0; k < flat.length; k += 3) {
        const [task, scheduledAt, startedAt] = [flat[k], flat[k + 1], flat[k + 2]];
        if (startedAt >= before.at && startedAt <= after.at) runsInWindow++;
        const due = dueOf(task, scheduledAt);
        const fire = secondOf(due);
        if (!fires.has(fire)) continue;
        const key = `${task}|${fire}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        lags.push(startedAt - due);
      }
    }
    const expected = tasks * fireTimes.length;
    const run = counts.size;
    const perRun = (value: number) => Number((runsInWindow > 0 ? value / runsInWindow : Number.NaN).toFixed(2));
    return {
      impl,
      load,
      round,
      tasks,
      expected,
      run,
      duplicated: lags.length - run,
      missed: expected - run,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags.length ? Math.max(...lags) : Number.NaN,
      runsInWindow,
      redisCommandsPerRun: perRun(after.commands - before.commands),
      redisCpuUsPerRun: perRun(after.cpuUs - before.cpuUs),
      replicaCpuUsPerRun: perRun(cpuUs),
      setupMs,
      topCommands: [...after.byCommand]
        .map(([command, { calls, usec }]) => {
          const old = before.byCommand.get(command) ?? { calls: 0, usec: 0 };
          return { command, calls: calls - old.calls, usec: usec - old.usec };
        })
        .filter((c) => c.calls > 0)
        .sort((a, b) => b.calls - a.calls)
        .slice(0, 8)
        .map((c) => ({
          command: c.command,
          callsPerRun: perRun(c.calls),
          usecPerCall: Number((c.usec / c.calls).toFixed(1)),
        })),
      ...(problem ? { problem } : {}),
    };
  } catch (error) {
    throw new Error(
      `${impl} ${load} round ${round + 1}: ${(error as Error).message}\n${group.output().slice(-4_000)}`,
      {
        cause: error,
      },
    );
  } finally {
    await group.stopAll();
  }
}

function summarize(measurements: readonly SchedulerMeasurement[]): SchedulerRow[] {
  const rows: SchedulerRow[] = [];
  for (const load of LOAD_KINDS) {
    for (const impl of SCHEDULER_IMPLEMENTATIONS) {
      const of = measurements.filter((m) => m.impl === impl && m.load === load);
      if (of.length === 0) continue;
      const sum = (pick: (m: SchedulerMeasurement) => number) => of.reduce((total, m) => total + pick(m), 0);
      const mid = (pick: (m: SchedulerMeasurement) => number) => Number(median(of.map(pick)).toFixed(2));
      rows.push({
        impl,
        load,
        rounds: of.length,
        tasks: of[0].tasks,
        expected: sum((m) => m.expected),
        run: sum((m) => m.run),
        duplicated: sum((m) => m.duplicated),
        missed: sum((m) => m.missed),
        lagP50Ms: mid((m) => m.lagP50Ms),
        lagP99Ms: mid((m) => m.lagP99Ms),
        lagMaxMs: mid((m) => m.lagMaxMs),
        runsInWindow: sum((m) => m.runsInWindow),
        redisCommandsPerRun: mid((m) => m.redisCommandsPerRun),
        redisCpuUsPerRun: mid((m) => m.redisCpuUsPerRun),
        replicaCpuUsPerRun: mid((m) => m.replicaCpuUsPerRun),
      });
    }
  }
  return rows;
}

function checkSchedulerTargets(
  rows: readonly SchedulerRow[],
  measurements: readonly SchedulerMeasurement[],
): SchedulerCheck[] {
  const row = (impl: SchedulerImplementation, load: LoadKind) => rows.find((r) => r.impl === impl && r.load === load);
  const checks: SchedulerCheck[] = [];
  const lib = measurements.filter((m) => m.impl === 'library');
  if (lib.length > 0) {
    const duplicates = lib.reduce((total, m) => total + m.duplicated, 0);
    const missed = lib.reduce((total, m) => total + m.missed, 0);
    checks.push({
      target: 'library: duplicated fires (all loads, all rounds)',
      value: duplicates,
      limit: 0,
      pass: duplicates === 0,
    });
    checks.push({
      target: 'library: missed fires (all loads, all rounds)',
      value: missed,
      limit: 0,
      pass: missed === 0,
    });
  }
  const libSteady = row('library', 'steady');
  const bullSteady = row('bullmq', 'steady');
  if (libSteady) {
    checks.push({
      target: `library: steady fire lag p99 (ms) ≤ ${STEADY_LAG_P99_LIMIT_MS}`,
      value: libSteady.lagP99Ms,
      limit: STEADY_LAG_P99_LIMIT_MS,
      pass: libSteady.lagP99Ms <= STEADY_LAG_P99_LIMIT_MS,
    });
    checks.push({
      target: `library: steady Redis commands per fire ≤ ${STEADY_COMMANDS_PER_FIRE_LIMIT}`,
      value: libSteady.redisCommandsPerRun,
      limit: STEADY_COMMANDS_PER_FIRE_LIMIT,
      pass: libSteady.redisCommandsPerRun <= STEADY_COMMANDS_PER_FIRE_LIMIT,
    });
    if (bullSteady) {
      checks.push({
        target: "library: steady fire lag p99 (ms) ≤ BullMQ's",
        value: libSteady.lagP99Ms,
        limit: bullSteady.lagP99Ms,
        pass: libSteady.lagP99Ms <= bullSteady.lagP99Ms,
      });
      checks.push({
        target: "library: steady Redis commands per fire ≤ BullMQ's",
        value: libSteady.redisCommandsPerRun,
        limit: bullSteady.redisCommandsPerRun,
        pass: libSteady.redisCommandsPerRun <= bullSteady.redisCommandsPerRun,
      });
    }
  }
  const libHerds = measurements.filter((m) => m.impl === 'library' && m.load === 'herd');
  if (libHerds.length > 0) {
    const worst = Math.max(...libHerds.map((m) => (m.missed > 0 || m.problem ? Infinity : m.lagMaxMs)));
    checks.push({
      target: `library: herd of ${libHerds[0].tasks} all started within 2 s (worst round's max lag, ms)`,
      value: Number.isFinite(worst) ? worst : 'missed or invalid',
      limit: 2_000,
      pass: worst <= 2_000,
    });
  }
  return checks;
}

function formatSchedulerTable(rows: readonly SchedulerRow[]): string {
  const header = [
    'implementation',
    'load',
    'expected',
    'run',
    'dup',
    'missed',
    'lag p50',
    'lag p99',
    'lag max',
    'Redis cmd/run',
    'Redis CPU µs/run',
    'replica CPU µs/run',
  ];
  const lines = rows.map((r) => [
    r.impl,
    `${r.load} ${r.tasks.toLocaleString('en-US')}`,
    String(r.expected),
    String(r.run),
    String(r.duplicated),
    String(r.missed),
    `${r.lagP50Ms} ms`,
    `${r.lagP99Ms} ms`,
    `${r.lagMaxMs} ms`,
    String(r.redisCommandsPerRun),
    String(r.redisCpuUsPerRun),
    String(r.replicaCpuUsPerRun),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

/** What the table's rows mean beyond their columns: how each load is expressed, which rows are absent and why. */
function schedulerNotes(config: SchedulerSettings): string[] {
  const notes = [
    `steady: ${config.steadyTasks} tasks every second ('* * * * * *'), all due at the whole second; ` +
      `${config.steadyConcurrency} slots per replica (library maxConcurrent / BullMQ worker concurrency)`,
  ];
  if (config.loads.includes('spread')) {
    notes.push(
      `spread: ${config.steadyTasks} tasks every second, each fire due at an offset in [0, ${SPREAD_MS}) ms after its second; lag = start − (second + offset); ` +
        `${config.steadyConcurrency} slots per replica as in steady`,
      `spread, library: '* * * * * *' with jitterMs ${SPREAD_MS} (the offset of each fire from lib/scheduler/cron/jitter-offset.ts, new each second)`,
      `spread, bullmq: upsertJobScheduler { every: 1000, startDate: a whole second + the task's offset } (a fixed offset per task, the same hash at fire 0); ` +
        `BullMQ 6.7 keeps it on every next job (getJobSchedulerEveryNextMillis.lua: previous + every); due time from the job id repeat:<id>:<due ms>`,
    );
    if (config.implementations.includes('nest-schedule'))
      notes.push('spread, nest-schedule: not run (its crons fire at whole seconds, with no offset within the second)');
  }
  if (config.loads.includes('herd'))
    notes.push(
      `herd: ${config.herdTasks} tasks due once, in the same second; ${config.herdConcurrency} slots per replica`,
    );
  return notes;
}

const formatSchedulerChecks = (checks: readonly SchedulerCheck[]) =>
  checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.target}: ${c.value} (limit ${c.limit})`).join('\n');

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Runs the scheduler suite; writes its section of bench/results/latest.json on a full run. */
export async function runSchedulerSuite(argv: string[]): Promise<SchedulerCheck[]> {
  const config = schedulerSettings(argv);
  const began = Date.now();
  const server = await RedisServer.start();
  const admin = new Redis(server.url);
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
    console.log(
      `scheduler: ${REPLICAS} replicas per implementation on redis-server ${redisVersion}; ${config.rounds} round(s); ` +
        `loads ${config.loads.join(', ')}: steady and spread ${config.steadyTasks} tasks every second for ${config.steadySeconds} s; herd ${config.herdTasks} tasks in one second; ` +
        `concurrency per replica ${config.steadyConcurrency} (steady, spread) and ${config.herdConcurrency} (herd); handlers work ${config.workMs} ms; lag = handler start − due time, ` +
        `both Date.now() of this machine (one clock)`,
    );
    const measurements: SchedulerMeasurement[] = [];
    for (let round = 0; round < config.rounds; round++) {
      for (const load of config.loads) {
        for (const impl of rotate(config.implementations, round)) {
          if (load === 'spread' && impl === 'nest-schedule') continue;
          process.stdout.write(`round ${round + 1} ${load} ${impl} ... `);
          const m = await measure(server, admin, config, impl, load, round);
          measurements.push(m);
          console.log(
            `run ${m.run}/${m.expected}, dup ${m.duplicated}, missed ${m.missed}, lag p50 ${m.lagP50Ms} p99 ${m.lagP99Ms} max ${m.lagMaxMs} ms, ` +
              `${m.redisCommandsPerRun} cmd/run, setup ${m.setupMs} ms${m.problem ? ` — ${m.problem}` : ''}`,
          );
        }
      }
    }
    const rows = summarize(measurements);
    const checks = checkSchedulerTargets(rows, measurements);
    const notes = schedulerNotes(config);
    console.log();
    console.log(formatSchedulerTable(rows));
    for (const note of notes) console.log(`  ${note}`);
    console.log();
    console.log(formatSchedulerChecks(checks));
    for (const m of measurements.filter((x) => x.round === 0 && x.impl !== 'nest-schedule')) {
      const top = m.topCommands.map((c) => `${c.command} ${c.callsPerRun}/run ${c.usecPerCall} µs`).join(', ');
      console.log(`Redis commands, ${m.impl} ${m.load} (round 1): ${top}`);
    }
    console.log(
      `${checks.filter((c) => c.pass).length} of ${checks.length} scheduler targets PASS in ${((Date.now() - began) / 1_000).toFixed(0)} s`,
    );
    if (config.write) {
      const out = join(__dirname, '..', '..', '..', 'bench', 'results');
      mkdirSync(out, { recursive: true });
      const file = join(out, 'latest.json');
      const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
      existing.scheduler = {
        date: new Date().toISOString(),
        machine: {
          cpu: cpus()[0]?.model,
          cores: cpus().length,
          memoryGiB: Math.round(totalmem() / 2 ** 30),
          os: `${platform()} ${release()} ${arch()}`,
          node: process.version,
          redis: redisVersion,
        },
        settings: config,
        clock:
          'lag = handler start − due time (the scheduled time; in the spread load, plus the fire offset), both Date.now() on this one machine (one clock)',
        perRun:
          'Redis commands (INFO commandstats, commands inside scripts included), Redis CPU (INFO cpu) and replica CPU (process.cpuUsage of the 3 replicas) over the window, divided by the handler starts in it',
        notes,
        results: rows,
        rounds: measurements,
        targets: checks,
      };
      writeFileSync(file, JSON.stringify(existing, null, 2) + '\n');
      console.log(`wrote the scheduler section of ${file}`);
    }
    return checks;
  } finally {
    admin.disconnect();
    await server.dispose();
  }
}
