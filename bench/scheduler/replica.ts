/*
 * One replica of the scheduler bench, run as a child process (test/harness/replica-process.ts protocol: JSON
 * events on stdout, JSON commands on stdin, exit when stdin closes). Configured by SF_BENCH_REPLICA (see
 * ./replica-config.ts): this library, a BullMQ worker, or a Nest app with `@nestjs/schedule`. Every handler
 * notes `Date.now()` as it starts, with its task and scheduled time (the library: the fire's whole second, its
 * jitter offset added by the orchestrator; BullMQ: the job's own due time); the notes are sent on `report`, after
 * the measurement, so that reporting costs nothing while it runs. `mark` / `markEnd` bracket the window of
 * `process.cpuUsage()`.
 */
import { Injectable, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, ScheduleModule } from '@nestjs/schedule';
import { Worker, type Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DistributedScheduleModule,
  DistributedSchedulerService,
  ScheduledRunContext,
  ScheduledWorkflow,
  StatefulRedisModule,
} from '../../lib';
import { emit, listenForCommands } from '../../test/scheduler/replicas/fixtures/replica-io';
import {
  BENCH_NAMESPACE,
  BENCH_QUEUE,
  BENCH_WORKFLOW,
  BenchReplicaConfig,
  EVERY_SECOND,
  cronAt,
} from './replica-config';

const config = JSON.parse(process.env.SF_BENCH_REPLICA ?? 'null') as BenchReplicaConfig;
if (!config) throw new Error('SF_BENCH_REPLICA is not set');

/** Handler starts: task index, scheduled time, start time (ms, this machine's clock), flat. */
const starts: number[] = [];
let cpuAtMark: NodeJS.CpuUsage | undefined;
let cpuInWindow: NodeJS.CpuUsage | undefined;

/** What every handler does: notes its start first, then works `workMs`. */
async function started(task: number, scheduledAt: number): Promise<void> {
  starts.push(task, scheduledAt, Date.now());
  if (config.workMs > 0) await sleep(config.workMs);
}

const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** Commands every implementation answers; `extra` the implementation's own. */
function serve(extra: (command: Record<string, unknown>) => void = () => undefined): void {
  listenForCommands((command) => {
    if (command.cmd === 'mark') {
      cpuAtMark = process.cpuUsage();
      emit('marked', { at: Date.now() });
    } else if (command.cmd === 'markEnd') {
      cpuInWindow = process.cpuUsage(cpuAtMark);
      emit('marked-end', { at: Date.now(), cpuUs: cpuMicros(cpuInWindow) });
    } else if (command.cmd === 'report') {
      const chunk = 3 * 5_000;
      for (let from = 0; from < starts.length; from += chunk) emit('starts', { s: starts.slice(from, from + chunk) });
      emit('report-end', { count: starts.length / 3, cpuUs: cpuInWindow ? cpuMicros(cpuInWindow) : null });
    } else extra(command);
  });
}

function redisConnection() {
  const { hostname, port } = new URL(config.redis);
  return { host: hostname, port: Number(port) };
}

/** This library: one workflow, the tasks added by `setup` (replica 0) with `addTask`. */
async function runLibrary(): Promise<void> {
  @Injectable()
  class BenchWorkflow {
    @ScheduledWorkflow(BENCH_WORKFLOW)
    run(run: ScheduledRunContext<{ i: number }>): Promise<void> {
      return started(run.payload.i, run.scheduledAt.getTime());
    }
  }
  @Module({
    imports: [
      StatefulRedisModule.forRoot({ redis: config.redis, metrics: false }),
      DistributedScheduleModule.forRoot({
        namespace: BENCH_NAMESPACE,
        instanceId: config.instanceId,
        maxConcurrent: config.concurrency,
      }),
    ],
    providers: [BenchWorkflow],
  })
  class LibraryReplicaModule {}
  const app = await NestFactory.createApplicationContext(LibraryReplicaModule, { logger: ['error', 'warn'] });
  const scheduler = app.get(DistributedSchedulerService);
  serve((command) => {
    if (command.cmd !== 'setup') return;
    const began = Date.now();
    const cron = String(command.cron);
    /** The spread load's `jitterMs` (0: every fire due at its whole second). */
    const jitterMs = Number(command.jitterMs ?? 0);
    let next = 0;
    const worker = async () => {
      while (next < config.tasks) {
        const i = next++;
        await scheduler.addTask({
          id: `t${i}`,
          name: `t${i}`,
          cron,
          timeZone: 'UTC',
          workflow: BENCH_WORKFLOW,
          payload: { i },
          ...(jitterMs > 0 ? { jitterMs } : {}),
        });
      }
    };
    Promise.all(Array.from({ length: 64 }, worker)).then(
      () => emit('setup-done', { ms: Date.now() - began }),
      (error: Error) => emit('setup-failed', { message: error.message }),
    );
  });
}

/**
 * BullMQ: a `Worker` of the queue whose job schedulers the orchestrator upserted. A job's due time: a cron
 * scheduler's job carries it as `opts.prevMillis`; an `every` scheduler's job (the spread load) does not, but its
 * id is `repeat:<scheduler id>:<due ms>` (addJobScheduler-11.lua and updateJobScheduler-12.lua of BullMQ 6.7 name
 * it so), exact even when the job was created late (its `timestamp + delay` is then the creation time).
 */
async function runBullmq(): Promise<void> {
  const dueOf = (job: Job<{ i: number }>) =>
    config.kind === 'spread'
      ? Number(job.id?.slice(job.id.lastIndexOf(':') + 1))
      : Number(job.opts.prevMillis ?? job.timestamp + (job.delay ?? 0));
  const worker = new Worker<{ i: number }>(BENCH_QUEUE, (job) => started(job.data.i, dueOf(job)), {
    connection: { ...redisConnection(), maxRetriesPerRequest: null },
    concurrency: config.concurrency,
  });
  worker.on('error', (error) => emit('log', { level: 'error', message: error.message }));
  await worker.waitUntilReady();
  serve();
}

/**
 * `@nestjs/schedule`: `@Cron` on one method per task, every replica alike (it has no coordination). Its handler
 * is not told the fire time: every second for the steady load (the nearest whole second to the start), the
 * herd's second for the herd.
 */
async function runNestSchedule(): Promise<void> {
  if (config.kind === 'spread') throw new Error('@nestjs/schedule has no spread load (no offset within a second)');
  const herd = config.kind === 'herd';
  const cron = herd ? cronAt(config.herdAt as number) : EVERY_SECOND;
  class CronTasks {}
  for (let i = 0; i < config.tasks; i++) {
    const key = `t${i}`;
    const descriptor: PropertyDescriptor = {
      value: () => started(i, herd ? (config.herdAt as number) : Math.round(Date.now() / 1000) * 1000),
      writable: true,
      configurable: true,
    };
    Object.defineProperty(CronTasks.prototype, key, descriptor);
    Cron(cron, { name: key, timeZone: 'UTC' })(CronTasks.prototype, key, descriptor);
  }
  Injectable()(CronTasks);
  @Module({ imports: [ScheduleModule.forRoot()], providers: [CronTasks as Type] })
  class NestScheduleReplicaModule {}
  await NestFactory.createApplicationContext(NestScheduleReplicaModule, { logger: ['error'] });
  serve();
}

async function main(): Promise<void> {
  emit('spawned', { pid: process.pid, at: Date.now() });
  const boot = { library: runLibrary, bullmq: runBullmq, 'nest-schedule': runNestSchedule }[config.implementation];
  await boot();
  emit('ready', { pid: process.pid, at: Date.now() });
}

main().catch((error: Error) => {
  emit('boot-failed', { message: error.message, stack: error.stack });
  process.exit(1);
});
