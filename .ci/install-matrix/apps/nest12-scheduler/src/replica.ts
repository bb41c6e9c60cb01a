// One replica of the scheduler soak (started by main.ts as `node dist/replica.js`, env REDIS_URL and INSTANCE_ID):
// StatefulRedisModule.forRootAsync + DistributedScheduleModule.forRoot, and a provider whose @DistributedCron
// handler prints one JSON line per run. SIGTERM goes through Nest's shutdown hooks (the scheduler's graceful
// stop); once the scheduler has drained, the replica prints its own count of runs.
import 'reflect-metadata';
import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import {
  DistributedCron,
  DistributedScheduleModule,
  DistributedSchedulerService,
  SCHEDULER_METRIC_NAMES,
  StatefulRedisModule,
  type ScheduledRunContext,
} from 'nestjs-stateful-redis';
import { register } from 'prom-client';
import {
  historyLength,
  redisTimeMs,
  redisUrl,
  REPLICA_SCHEDULE_OPTIONS,
  schedulerNamespace,
  TASK_CRON,
  TASK_NAME,
} from './scheduler-env.js';

const instanceId = process.env.INSTANCE_ID ?? `replica-${process.pid}`;

/** One JSON line on stdout (synchronous on a pipe: nothing is lost when the process ends). */
function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, instanceId, ...fields })}\n`);
}

/** A client of the replica's own, to read Redis TIME when a handler starts (the fire lag, on the scheduler's clock). */
const probe = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
probe.on('error', () => undefined);

async function redisNow(): Promise<number | null> {
  try {
    return await redisTimeMs(probe);
  } catch {
    return null;
  }
}

@Injectable()
class TickTask implements OnApplicationShutdown {
  private handled = 0;

  @DistributedCron(TASK_CRON, { name: TASK_NAME })
  async tick(run: ScheduledRunContext): Promise<void> {
    const startedAt = Date.now();
    this.handled++;
    emit('run', {
      task: run.name,
      scheduledAt: run.scheduledAt.getTime(),
      attempt: run.attempt,
      fencingToken: run.fencingToken,
      runInstanceId: run.instanceId,
      startedAt,
      redisNow: await redisNow(),
    });
  }

  /** After every `beforeApplicationShutdown` (the scheduler's drain): nothing of this replica runs any more. */
  async onApplicationShutdown(signal?: string): Promise<void> {
    const metric = await register.getSingleMetric(SCHEDULER_METRIC_NAMES.runs)?.get();
    const metricRuns = metric?.values
      .filter((value) => value.labels.task === TASK_NAME && value.labels.status === 'success')
      .reduce((sum, value) => sum + value.value, 0);
    emit('stopped', { signal, handled: this.handled, metricRuns: metricRuns ?? null });
    probe.disconnect();
  }
}

@Module({
  imports: [
    TerminusModule,
    StatefulRedisModule.forRootAsync({
      isGlobal: true,
      useFactory: () => ({ redis: redisUrl() }),
    }),
    DistributedScheduleModule.forRoot({
      namespace: schedulerNamespace(),
      instanceId,
      historyLength: historyLength(),
      ...REPLICA_SCHEDULE_OPTIONS,
    }),
  ],
  providers: [TickTask],
})
class ReplicaModule {}

async function main(): Promise<void> {
  // The orchestrator died (its end of stdin closed): leave no replica behind.
  process.stdin.on('end', () => process.exit(70)).resume();
  const app = await NestFactory.createApplicationContext(ReplicaModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks(['SIGTERM']);
  emit('ready', { pid: process.pid, stats: app.get(DistributedSchedulerService).getStats() });
}

main().catch((error: Error) => {
  emit('boot-failed', { message: error.stack ?? error.message });
  process.exit(1);
});
