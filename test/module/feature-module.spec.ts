import { Controller, Get, Inject, INestApplication, Injectable, Module, Param, Post } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import {
  DISTRIBUTED_SCHEDULE_MODULE_OPTIONS,
  DistributedScheduleModule,
  type DistributedScheduleModuleOptions,
  DistributedSchedulerHealthIndicator,
  DistributedSchedulerService,
  NO_POD,
  ScheduledWorkflow,
  STATEFUL_DASHBOARD_MODULE_OPTIONS,
  STATEFUL_REDIS_MODULE_OPTIONS,
  StatefulDashboardModule,
  type StatefulDashboardOptions,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  StatefulRedisModule,
  type StatefulRedisModuleOptions,
} from '../../lib';
import { silentLogger } from '../harness/capturing-logger';
import type { RedisServer } from '../harness/redis-server';
import { useRedisServer } from '../harness/redis-server-fixture';

let server: RedisServer;
useRedisServer((started) => (server = started));

/**
 * A controller of a feature module that imports neither library module: what the README's Quick starts
 * inject, from where an app usually injects it (issue 19: usable everywhere, like ScheduleModule.forRoot()).
 */
@Controller('rooms')
class RoomsController {
  constructor(
    private readonly stateful: StatefulExecutorService,
    private readonly scheduler: DistributedSchedulerService,
    private readonly redisHealth: StatefulRedisHealthIndicator,
    private readonly schedulerHealth: DistributedSchedulerHealthIndicator,
    private readonly health: HealthCheckService,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.redisHealth.isHealthy('redis'),
      () => this.schedulerHealth.isHealthy('scheduler'),
    ]);
  }

  @Post(':uid')
  async route(@Param('uid') uid: string) {
    return { pod: await this.stateful.computeLinkedPodIfAbsent('prod', uid, 'room-server', -1) };
  }

  @Post('exports/:table')
  async addExport(@Param('table') table: string) {
    const task = await this.scheduler.addTask({
      name: `export ${table}`,
      cron: '0 2 * * *',
      workflow: 'export-table',
      payload: { table },
    });
    return { id: task.id, indicators: [this.redisHealth, this.schedulerHealth].every(Boolean) };
  }

  @Get('tasks')
  async tasks() {
    return (await this.scheduler.listTasks()).map((task) => task.name);
  }
}

@Injectable()
class Exports {
  @ScheduledWorkflow('export-table')
  async exportTable(): Promise<void> {}
}

@Module({ controllers: [RoomsController], providers: [Exports] })
class RoomsModule {}

async function startApp(imports: unknown[]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[] })
    .setLogger(silentLogger)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('a feature module injects the services without isGlobal (the Quick starts as written)', () => {
  it('routing and scheduler services in a controller of a feature module, options from ConfigModule', async () => {
    process.env.FEATURE_MODULE_REDIS_URL = server.url;
    const app = await startApp([
      ConfigModule.forRoot({ ignoreEnvFile: true }),
      StatefulRedisModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({ redis: config.getOrThrow<string>('FEATURE_MODULE_REDIS_URL') }),
      }),
      DistributedScheduleModule.forRoot({ namespace: 'feature-module' }),
      RoomsModule,
    ]);
    try {
      const stateful = app.get(StatefulExecutorService);
      await stateful.setServiceState('prod', 'room-server', 4, 'running');
      const routed = await request(app.getHttpServer()).post('/rooms/alice').expect(201);
      assert.deepEqual(routed.body, { pod: 4 });
      assert.notEqual(routed.body.pod, NO_POD);
      const added = await request(app.getHttpServer()).post('/rooms/exports/users').expect(201);
      assert.equal(added.body.indicators, true);
      const listed = await request(app.getHttpServer()).get('/rooms/tasks').expect(200);
      assert.deepEqual(listed.body, ['export users']);
      // HealthCheckService too: StatefulRedisModule re-exports TerminusModule, so no import of it is needed.
      const health = await request(app.getHttpServer()).get('/rooms/health').expect(200);
      assert.equal(health.body.status, 'ok');
    } finally {
      await app.close();
    }
  });

  it('forRoot of both modules, sync: the same', async () => {
    const app = await startApp([
      StatefulRedisModule.forRoot({ redis: server.url }),
      DistributedScheduleModule.forRoot({ namespace: 'feature-module-sync' }),
      RoomsModule,
    ]);
    try {
      await app.get(StatefulExecutorService).setServiceState('prod', 'room-server', 2, 'running');
      const routed = await request(app.getHttpServer()).post('/rooms/bob').expect(201);
      assert.deepEqual(routed.body, { pod: 2 });
    } finally {
      await app.close();
    }
  });

  for (const [title, imports] of [
    [
      'StatefulRedisModule with isGlobal: false',
      () => [
        StatefulRedisModule.forRoot({ redis: server.url, isGlobal: false }),
        DistributedScheduleModule.forRoot(),
        RoomsModule,
      ],
    ],
    [
      'DistributedScheduleModule with isGlobal: false',
      () => [
        StatefulRedisModule.forRoot({ redis: server.url }),
        DistributedScheduleModule.forRootAsync({ isGlobal: false, useFactory: () => ({}) }),
        RoomsModule,
      ],
    ],
  ] as const) {
    it(`opt-out: ${title} is not visible to a module that does not import it`, async () => {
      await assert.rejects(
        () => startApp(imports()),
        (error: Error) => /resolve dependencies of the RoomsController/.test(error.message),
      );
    });
  }
});

/** What an app of each module may inject besides its services: the options it gave, by the module's own token. */
@Injectable()
class GivenOptions {
  constructor(
    @Inject(STATEFUL_REDIS_MODULE_OPTIONS) readonly redis: StatefulRedisModuleOptions,
    @Inject(DISTRIBUTED_SCHEDULE_MODULE_OPTIONS) readonly scheduler: DistributedScheduleModuleOptions,
  ) {}
}

@Module({ providers: [GivenOptions], exports: [GivenOptions] })
class GivenOptionsModule {}

@Injectable()
class GivenDashboardOptions {
  constructor(@Inject(STATEFUL_DASHBOARD_MODULE_OPTIONS) readonly dashboard: StatefulDashboardOptions) {}
}

describe("every module exports its options token (the barrel's one shape for the three modules)", () => {
  it('the core and the scheduler (global) in any module, the dashboard in a module that imports it', async () => {
    const dashboard = StatefulDashboardModule.register({ path: '/ops', namespaces: ['prod'] });
    @Module({ imports: [dashboard], providers: [GivenDashboardOptions] })
    class OpsModule {}
    const app = await startApp([
      StatefulRedisModule.forRoot({ redis: server.url, keyPrefix: 'given' }),
      DistributedScheduleModule.forRoot({ namespace: 'given-options' }),
      GivenOptionsModule,
      OpsModule,
    ]);
    try {
      const given = app.get(GivenOptions);
      assert.equal(given.redis.keyPrefix, 'given');
      assert.equal(given.scheduler.namespace, 'given-options');
      assert.deepEqual(app.get(GivenDashboardOptions).dashboard.namespaces, ['prod']);
    } finally {
      await app.close();
    }
  });
});
