import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import {
  DistributedScheduleModule,
  StatefulDashboardModule,
  StatefulErrorFilter,
  StatefulRedisModule,
} from 'nestjs-stateful-redis';
import { createValidationPipe } from './common/validation.pipe';
import { LocalOperatorGuard } from './dashboard/local-operator.guard';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { PodsController } from './pods/pods.controller';
import { RoutingController } from './routing/routing.controller';
import { DrainPodWorkflow } from './scheduler/drain-pod.workflow';
import { PodSweepTask } from './scheduler/pod-sweep.task';
import { SchedulerController } from './scheduler/scheduler.controller';

@Module({
  imports: [
    // Environment variables win over .env (the demo and the tests set REDIS_URL).
    ConfigModule.forRoot({ isGlobal: true, envFilePath: ['.env'] }),
    StatefulRedisModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        redis: config.get<string>('REDIS_URL', 'redis://127.0.0.1:6379'),
        keyPrefix: config.get<string>('REDIS_KEY_PREFIX', 'sf'),
        // Pods silent 15 s get no new users; silent 60 s, the scheduler's built-in task sweeps their links and
        // forgets them (the pods report with PUT …/pods/:podId or …/heartbeat).
        podLiveness: {
          timeoutMs: Number(config.get('POD_LIVENESS_TIMEOUT_MS', 15_000)),
          sweepAfterMs: Number(config.get('POD_SWEEP_AFTER_MS', 60_000)),
          sweepCron: config.get<string>('DEAD_POD_SWEEP_CRON', '*/15 * * * * *'),
        },
      }),
    }),
    // Side by side with StatefulRedisModule: the scheduler uses its connection, no Redis settings of its own.
    DistributedScheduleModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        // In Kubernetes, set INSTANCE_ID to the pod's name (downward API) to see it in the run history.
        const instanceId = config.get<string>('INSTANCE_ID');
        return {
          namespace: config.get<string>('SCHEDULER_NAMESPACE', 'gateway'),
          maxConcurrent: Number(config.get('SCHEDULER_MAX_CONCURRENT', 5)),
          // A run whose replica vanished (or whose claim's reply was lost) holds its task this long.
          leaseMs: Number(config.get('SCHEDULER_LEASE_MS', 30_000)),
          ...(instanceId ? { instanceId } : {}),
        };
      },
    }),
    // The operator dashboard at /ops: pods can be drained and swept, tasks run, enabled and disabled, from a
    // browser on this machine only (LocalOperatorGuard).
    StatefulDashboardModule.register({
      path: '/ops',
      readOnly: false,
      guard: LocalOperatorGuard,
      // The names it answers to: a page of another site rebound to 127.0.0.1 (DNS rebinding) is refused.
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
    }),
    TerminusModule,
  ],
  controllers: [PodsController, RoutingController, SchedulerController, HealthController, MetricsController],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: StatefulErrorFilter },
    PodSweepTask,
    DrainPodWorkflow,
  ],
})
export class AppModule {}
