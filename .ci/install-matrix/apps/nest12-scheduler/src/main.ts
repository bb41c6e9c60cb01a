// The scheduler soak of the install matrix: the shared routing smoke check, then three replicas of replica.ts as
// child processes (`node dist/replica.js`, env REDIS_URL and INSTANCE_ID) run a @DistributedCron every second for
// SCHEDULER_SOAK_SECONDS (default 60) and are stopped with SIGTERM. Every fire of the window must have run exactly
// once, and the run history (DistributedSchedulerService.getRuns, read by this process's own scheduler, which
// registers no workflow and so claims nothing) and the handlers' own lines must agree: same fire times, same
// replica. Prints one summary line; exits 1 on any mismatch.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DistributedSchedulerService, type TaskRun } from 'nestjs-stateful-redis';
import { AppModule } from './app.module.js';
import { redisTimeMs, redisUrl, TASK_NAME } from './scheduler-env.js';
import { smokeCheck } from './smoke-check.js';

const REPLICAS = 3;
/** run.sh gives an app 120 s: boot, soak and drain must fit. */
const MAX_SOAK_SECONDS = 90;

const soakSeconds = Number(process.env.SCHEDULER_SOAK_SECONDS ?? 60);
if (!Number.isInteger(soakSeconds) || soakSeconds < 3 || soakSeconds > MAX_SOAK_SECONDS) {
  console.error(`SCHEDULER_SOAK_SECONDS must be an integer from 3 to ${MAX_SOAK_SECONDS} (got ${soakSeconds})`);
  process.exit(2);
}
const historyLength = Math.max(200, soakSeconds + 100);
// Read by AppModule's factories and passed to the replicas: a namespace of this run only, the whole history kept.
process.env.SCHEDULER_NAMESPACE = `soak-${process.pid}-${Date.now()}`;
process.env.SCHEDULER_HISTORY_LENGTH = String(historyLength);

/** One handler run, as the replica's handler printed it. */
interface RunLine {
  instanceId: string;
  scheduledAt: number;
  attempt: number;
  fencingToken: number;
  /** `ScheduledRunContext.instanceId`: must be the replica's INSTANCE_ID. */
  runInstanceId: string;
  /** Redis TIME read by the handler as it started (null when Redis did not answer). */
  redisNow: number | null;
}

interface StoppedLine {
  signal?: string;
  handled: number;
  metricRuns: number | null;
}

/** Any line or exit of any replica: the waits re-check their condition. */
const listeners = new Set<() => void>();
const notify = (): void => listeners.forEach((listener) => listener());

class Replica {
  readonly runs: RunLine[] = [];
  ready = false;
  stopped?: StoppedLine;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Lines that were not JSON (Nest's warnings go to stdout) and stderr, forwarded with a prefix. */
  readonly noise: string[] = [];
  private readonly child: ChildProcess;

  constructor(readonly instanceId: string) {
    const script = fileURLToPath(new URL('./replica.js', import.meta.url));
    this.child = spawn(process.execPath, [script], {
      // stdin stays open: the replica exits when it closes, so a dead orchestrator leaves no replica behind.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, REDIS_URL: redisUrl(), INSTANCE_ID: instanceId },
    });
    this.child.stdin?.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.accept(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.keep(line));
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      notify();
    });
  }

  private accept(line: string): void {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return this.keep(line);
    }
    if (event.event === 'run') this.runs.push(event as unknown as RunLine);
    else if (event.event === 'ready') this.ready = true;
    else if (event.event === 'stopped') this.stopped = event as unknown as StoppedLine;
    else this.keep(line);
    notify();
  }

  private keep(line: string): void {
    this.noise.push(line);
    process.stderr.write(`[${this.instanceId}] ${line}\n`);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }
}

/** Resolves with `check()`'s first defined result (re-checked on every replica line and exit), or rejects. */
function until<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      listeners.delete(listener);
      settle();
    };
    const listener = () => {
      try {
        const result = check();
        if (result !== undefined) finish(() => resolve(result));
      } catch (error) {
        finish(() => reject(error as Error));
      }
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`))),
      timeoutMs,
    );
    listeners.add(listener);
    listener();
  });
}

const iso = (ms: number): string => new Date(ms).toISOString();
const hms = (ms: number): string => iso(ms).slice(11, 19);

function groupBy<T>(items: T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function spread(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  return `p50=${sorted[Math.floor((sorted.length - 1) / 2)]}ms max=${sorted[sorted.length - 1]}ms`;
}

async function main(): Promise<number> {
  const began = Date.now();
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const clock = new Redis(redisUrl());
  const replicas: Replica[] = [];
  process.once('exit', () => replicas.forEach((replica) => replica.signal('SIGKILL')));
  const problems: string[] = [];
  try {
    const notes = await smokeCheck(app);
    console.log(`smoke check passed: ${notes.join('; ')}`);
    const scheduler = app.get(DistributedSchedulerService);

    for (let i = 1; i <= REPLICAS; i++) replicas.push(new Replica(`replica-${i}`));
    await until(`${REPLICAS} replicas ready`, 60_000, () => {
      const dead = replicas.find((replica) => replica.exit);
      if (dead) throw new Error(`${dead.instanceId} exited while booting (${JSON.stringify(dead.exit)})`);
      return replicas.every((replica) => replica.ready) || undefined;
    });
    const readyAt = await redisTimeMs(clock);
    // The window: whole seconds from the first fire after every replica is up, `soakSeconds` fires.
    const windowStart = Math.floor(readyAt / 1000) * 1000 + 1000;
    const windowEnd = windowStart + (soakSeconds - 1) * 1000;
    const allRuns = () => replicas.flatMap((replica) => replica.runs);
    await until(`the handler line of the fire of ${iso(windowEnd)}`, windowEnd - readyAt + 15_000, () => {
      const dead = replicas.find((replica) => replica.exit);
      if (dead) throw new Error(`${dead.instanceId} exited during the soak (${JSON.stringify(dead.exit)})`);
      return allRuns().some((run) => run.scheduledAt >= windowEnd) || undefined;
    }).catch((error: Error) => problems.push(error.message));

    const stopAt = Date.now();
    replicas.forEach((replica) => replica.signal('SIGTERM'));
    await until(
      'every replica to exit after SIGTERM',
      30_000,
      () => replicas.every((replica) => replica.exit) || undefined,
    ).catch((error: Error) => {
      problems.push(error.message);
      replicas.forEach((replica) => replica.signal('SIGKILL'));
    });
    const drainMs = Date.now() - stopAt;

    // Newest first, at most historyLength: oldest first here, and nothing may have been trimmed.
    const history: TaskRun[] = (await scheduler.getRuns(TASK_NAME, historyLength)).reverse();
    const lines = allRuns().sort((a, b) => a.scheduledAt - b.scheduledAt || a.fencingToken - b.fencingToken);
    if (history.length >= historyLength) problems.push(`history full (${history.length} entries): it may be trimmed`);

    // Every whole second of the window ran exactly once.
    const linesByFire = groupBy(lines, (run) => run.scheduledAt);
    const historyByFire = groupBy(history, (run) => run.scheduledAt.getTime());
    const fires: number[] = [];
    for (let fire = windowStart; fire <= windowEnd; fire += 1000) fires.push(fire);
    const missed = fires.filter((fire) => !linesByFire.has(fire));
    const duplicates = [...linesByFire].filter(([, runs]) => runs.length > 1);
    const windowRuns = fires.filter((fire) => linesByFire.has(fire)).length;
    if (missed.length) problems.push(`missed fires: ${missed.map(hms).join(' ')}`);
    for (const [fire, runs] of duplicates)
      problems.push(`fire ${iso(fire)} ran ${runs.length} times: ${runs.map((run) => run.instanceId).join(', ')}`);

    // History and handler lines agree: same fire times, same replica, one success each (boot and drain included).
    const describe = (entries: TaskRun[]) =>
      entries.map((run) => `${run.status}#${run.attempt}@${run.instanceId ?? '-'}`).join(',') || 'none';
    const disagreements: string[] = [];
    for (const fire of [...new Set([...linesByFire.keys(), ...historyByFire.keys()])].sort((a, b) => a - b)) {
      const ran = linesByFire.get(fire) ?? [];
      const recorded = historyByFire.get(fire) ?? [];
      const agree =
        ran.length === 1 &&
        recorded.length === 1 &&
        recorded[0].status === 'success' &&
        recorded[0].attempt === ran[0].attempt &&
        recorded[0].instanceId === ran[0].instanceId;
      if (!agree)
        disagreements.push(
          `${hms(fire)}: handler ${ran.map((run) => run.instanceId).join(',') || 'none'} / history ${describe(recorded)}`,
        );
    }
    if (disagreements.length)
      problems.push(`history and handler lines disagree on ${disagreements.length} fires: ${disagreements.join('; ')}`);

    for (const run of lines) {
      if (run.attempt !== 1) problems.push(`fire ${iso(run.scheduledAt)} ran as attempt ${run.attempt}`);
      if (run.runInstanceId !== run.instanceId)
        problems.push(`${run.instanceId} was told its instanceId is ${run.runInstanceId}`);
      if (run.redisNow !== null && run.redisNow < run.scheduledAt)
        problems.push(`fire ${iso(run.scheduledAt)} started ${run.scheduledAt - run.redisNow} ms early (Redis TIME)`);
    }
    const tokens = lines.map((run) => run.fencingToken);
    if (tokens.some((token, i) => i > 0 && token <= tokens[i - 1]))
      problems.push(`fencing tokens do not increase with the fire time: ${tokens.join(' ')}`);

    // Per replica: its handler lines, its own count, its metrics and the history name the same runs.
    const perReplica: string[] = [];
    for (const replica of replicas) {
      const inWindow = replica.runs.filter((run) => run.scheduledAt >= windowStart && run.scheduledAt <= windowEnd);
      perReplica.push(`${replica.instanceId}=${inWindow.length}`);
      const recorded = history.filter((run) => run.instanceId === replica.instanceId).length;
      const { stopped, exit } = replica;
      if (!stopped)
        problems.push(`${replica.instanceId} did not go through the shutdown hooks (exit ${JSON.stringify(exit)})`);
      else {
        if (stopped.handled !== replica.runs.length)
          problems.push(`${replica.instanceId} counted ${stopped.handled} runs, printed ${replica.runs.length}`);
        if (stopped.metricRuns !== null && stopped.metricRuns !== replica.runs.length)
          problems.push(
            `${replica.instanceId}: the runs metric says ${stopped.metricRuns}, the handler ${replica.runs.length}`,
          );
      }
      if (recorded !== replica.runs.length)
        problems.push(`${replica.instanceId}: ${recorded} runs in the history, ${replica.runs.length} handler lines`);
      if (exit && exit.signal !== 'SIGTERM' && exit.code !== 0)
        problems.push(`${replica.instanceId} ended with ${JSON.stringify(exit)} after SIGTERM`);
    }
    const metricsChecked = replicas.every((replica) => typeof replica.stopped?.metricRuns === 'number');

    const lag = spread(
      lines
        .filter((run) => run.scheduledAt >= windowStart && run.scheduledAt <= windowEnd && run.redisNow !== null)
        .map((run) => (run.redisNow as number) - run.scheduledAt),
    );
    const noise = replicas.reduce((sum, replica) => sum + replica.noise.length, 0);
    const figures =
      `${REPLICAS} replicas, window ${hms(windowStart)}-${hms(windowEnd)} UTC: fires=${fires.length} runs=${windowRuns} ` +
      `duplicates=${duplicates.length} missed=${missed.length}; history=${history.length} entries, handler lines=${lines.length}, ` +
      `${disagreements.length ? `${disagreements.length} disagree` : 'agree'}; per replica ${perReplica.join(' ')}` +
      `${metricsChecked ? ' (own counts and runs metric agree)' : ''}; lag ${lag} (Redis TIME); ` +
      `SIGTERM drain ${drainMs} ms; replica log lines=${noise}; ${Math.round((Date.now() - began) / 1000)} s`;
    if (problems.length) {
      console.error(`scheduler soak FAILED: ${figures}`);
      for (const problem of problems) console.error(`  - ${problem}`);
      return 1;
    }
    console.log(`scheduler soak passed: ${figures}`);
    return 0;
  } finally {
    replicas.forEach((replica) => replica.signal('SIGKILL'));
    clock.disconnect();
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
