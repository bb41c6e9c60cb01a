import { Injectable, LoggerService, Module, Scope } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  DistributedCron,
  DistributedScheduleModule,
  DistributedScheduleModuleOptions,
  DistributedScheduleOptionsFactory,
  DistributedSchedulerHealthIndicator,
  DistributedSchedulerService,
  ErrorCode,
  ScheduledWorkflow,
  StatefulError,
  StatefulRedisModule,
} from '../../../lib';
import { SchedulerStore } from '../../../lib/scheduler/store/scheduler-store';
import { CapturingLogger, silentLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';
import { pollUntil } from '../../harness/wait';

let server: RedisServer;

before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server?.dispose();
});
beforeEach(async () => {
  await server.cli('FLUSHALL');
  await server.cli('SCRIPT', 'FLUSH');
});

async function boot(imports: unknown[], providers: unknown[] = [], logger = silentLogger) {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] })
    .setLogger(logger)
    .compile();
  await moduleRef.init();
  return moduleRef;
}

/** The error that stops the app; whatever started before it (the core's connection) is closed. */
async function bootFailure(
  imports: unknown[],
  providers: unknown[] = [],
  logger: LoggerService = silentLogger,
): Promise<Error> {
  let moduleRef: TestingModule;
  try {
    moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] })
      .setLogger(logger)
      .compile();
  } catch (error) {
    return error as Error;
  }
  try {
    await moduleRef.init();
  } catch (error) {
    return error as Error;
  } finally {
    await moduleRef.close().catch(() => undefined);
  }
  assert.fail('expected the app not to start');
}

@Injectable()
class ScheduleConfig implements DistributedScheduleOptionsFactory {
  createDistributedScheduleOptions(): DistributedScheduleModuleOptions {
    return { namespace: 'from-class', maxConcurrent: 2 };
  }
}

@Module({ providers: [ScheduleConfig], exports: [ScheduleConfig] })
class ScheduleConfigModule {}

describe('DistributedScheduleModule beside StatefulRedisModule (no isGlobal)', () => {
  for (const [title, scheduleModule, expected] of [
    [
      'forRoot',
      () => DistributedScheduleModule.forRoot({ namespace: 'sync', maxConcurrent: 4 }),
      { namespace: 'sync', maxConcurrent: 4 },
    ],
    [
      'forRoot without options: the defaults',
      () => DistributedScheduleModule.forRoot(),
      { namespace: 'default', maxConcurrent: 5 },
    ],
    [
      'forRootAsync useFactory with inject',
      () =>
        DistributedScheduleModule.forRootAsync({
          imports: [ScheduleConfigModule],
          inject: [ScheduleConfig],
          useFactory: async (config: ScheduleConfig) => ({
            ...config.createDistributedScheduleOptions(),
            namespace: 'from-factory',
          }),
        }),
      { namespace: 'from-factory', maxConcurrent: 2 },
    ],
    [
      'forRootAsync useClass',
      () => DistributedScheduleModule.forRootAsync({ useClass: ScheduleConfig }),
      { namespace: 'from-class', maxConcurrent: 2 },
    ],
    [
      'forRootAsync useExisting',
      () => DistributedScheduleModule.forRootAsync({ imports: [ScheduleConfigModule], useExisting: ScheduleConfig }),
      { namespace: 'from-class', maxConcurrent: 2 },
    ],
  ] as const) {
    it(`${title}: uses the core's connection, its scripts preloaded with the core's`, async () => {
      const moduleRef = await boot([StatefulRedisModule.forRoot({ redis: server.url }), scheduleModule()]);
      try {
        const scheduler = moduleRef.get(DistributedSchedulerService);
        const stats = scheduler.getStats();
        assert.equal(stats.maxConcurrent, expected.maxConcurrent);
        assert.match(
          stats.instanceId,
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          'a random UUID',
        );
        assert.equal(stats.running, true);
        // Registered with the core's runner before its preload: in Redis before any call.
        const shas = Object.values(SchedulerStore.SCRIPTS).map((script) => script.sha);
        assert.equal(await server.cli('SCRIPT', 'EXISTS', ...shas), shas.map(() => '1').join('\n'));
        scheduler.registerWorkflow('w', () => undefined);
        await scheduler.addTask({ id: 't', name: 't', cron: '0 0 * * *', workflow: 'w' });
        assert.equal(await server.cli('HEXISTS', `sf:{${expected.namespace}:sched}:tasks`, 't'), '1');
        assert.ok(moduleRef.get(DistributedSchedulerHealthIndicator));
      } finally {
        await moduleRef.close();
      }
    });
  }

  it("takes the core's keyPrefix", async () => {
    const moduleRef = await boot([
      StatefulRedisModule.forRoot({ redis: server.url, keyPrefix: 'acme' }),
      DistributedScheduleModule.forRoot({ namespace: 'p' }),
    ]);
    try {
      const scheduler = moduleRef.get(DistributedSchedulerService);
      scheduler.registerWorkflow('w', () => undefined);
      await scheduler.addTask({ id: 't', name: 't', cron: '0 0 * * *', workflow: 'w' });
      assert.equal(await server.cli('HEXISTS', 'acme:{p:sched}:tasks', 't'), '1');
    } finally {
      await moduleRef.close();
    }
  });

  it('without StatefulRedisModule the app does not start, and says what to import', async () => {
    const error = await bootFailure([DistributedScheduleModule.forRoot()]);
    assert.ok(error instanceof StatefulError, String(error));
    assert.match(error.message, /StatefulRedisModule\.forRoot/);
  });

  it('warns when maxmemory-policy can evict the scheduler keys', async () => {
    await server.cli('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const logger = new CapturingLogger();
    const moduleRef = await boot(
      [StatefulRedisModule.forRoot({ redis: server.url }), DistributedScheduleModule.forRoot()],
      [],
      logger,
    );
    try {
      await pollUntil('the warning', 3_000, async () =>
        logger.find('warn', /maxmemory-policy is "allkeys-lru"/).length ? true : 'not yet',
      );
    } finally {
      await moduleRef.close();
      await server.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
    const quiet = new CapturingLogger();
    const again = await boot(
      [StatefulRedisModule.forRoot({ redis: server.url }), DistributedScheduleModule.forRoot()],
      [],
      quiet,
    );
    await again.close();
    assert.equal(quiet.find('warn', /maxmemory-policy/).length, 0);
  });
});

describe('bad module options stop the app naming the option', () => {
  for (const [options, field, message] of [
    [{ maxConcurent: 5 }, 'maxConcurent', /did you mean "maxConcurrent"/],
    [{ namesapce: 'x' }, 'namesapce', /did you mean "namespace"/],
    [{ maxConcurrent: 0 }, 'maxConcurrent', /"maxConcurrent" must be at least 1/],
    [{ maxConcurrent: 2.5 }, 'maxConcurrent', /"maxConcurrent" must be an integer/],
    [{ namespace: 'a:b' }, 'namespace', /"namespace" must not contain/],
    [{ namespace: 'a b' }, 'namespace', /"namespace" must not contain/],
    [{ namespace: '{x}' }, 'namespace', /"namespace" must not contain/],
    [{ namespace: '' }, 'namespace', /"namespace" must not be empty/],
    [{ instanceId: '' }, 'instanceId', /"instanceId" must not be empty/],
    [{ leaseMs: 'long' }, 'leaseMs', /"leaseMs" must be an integer/],
    [{ leaseMs: 100 }, 'leaseMs', /"leaseMs" must be at least 500/],
    [{ pollIntervalMs: 0 }, 'pollIntervalMs', /"pollIntervalMs" must be at least/],
    [{ lookAheadMs: -1 }, 'lookAheadMs', /"lookAheadMs" must be at least 0/],
    [{ lookAheadMs: 0.5 }, 'lookAheadMs', /"lookAheadMs" must be an integer/],
    [{ lookAheadMs: 60_001 }, 'lookAheadMs', /"lookAheadMs" must be at most 60000/],
    [{ lookahead: 100 }, 'lookahead', /did you mean "lookAheadMs"/],
    [{ historyLength: 0 }, 'historyLength', /"historyLength" must be at least 1/],
    [{ shutdownTimeoutMs: -1 }, 'shutdownTimeoutMs', /"shutdownTimeoutMs" must be at least 0/],
  ] as const) {
    it(`${JSON.stringify(options)} -> ${field}`, async () => {
      const error = await bootFailure([
        StatefulRedisModule.forRoot({ redis: server.url }),
        DistributedScheduleModule.forRoot(options as never),
      ]);
      assert.ok(error instanceof StatefulError, String(error));
      assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
      assert.equal(error.field, field);
      assert.match(error.message, /DistributedScheduleModule options/);
      assert.match(error.message, message);
    });
  }

  it('forRootAsync options are validated too', async () => {
    const error = await bootFailure([
      StatefulRedisModule.forRoot({ redis: server.url }),
      DistributedScheduleModule.forRootAsync({ useFactory: () => ({ historyLength: -3 }) }),
    ]);
    assert.ok(error instanceof StatefulError);
    assert.equal(error.field, 'historyLength');
  });
});

@Injectable({ scope: Scope.REQUEST })
class RequestScopedReports {
  @DistributedCron('0 9 * * 1-5', { name: 'weekday-report' })
  weekdayReport(): void {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedWorkflow {
  @ScheduledWorkflow('export-table')
  exportTable(): void {}
}

@Injectable()
class BadCron {
  @DistributedCron('0 9 * *', { name: 'bad-cron' })
  run(): void {}
}

@Injectable()
class NoName {
  @DistributedCron('0 9 * * *', {} as never)
  run(): void {}
}

@Injectable()
class TwoForOneName {
  @DistributedCron('0 9 * * *', { name: 'twice' })
  first(): void {}

  @ScheduledWorkflow('twice')
  second(): void {}
}

@Injectable()
class FirstReports {
  @DistributedCron('0 9 * * *', { name: 'daily-report' })
  daily(): void {}
}

@Injectable()
class SecondReports {
  @DistributedCron('0 18 * * *', { name: 'daily-report' })
  evening(): void {}
}

describe('decorated methods are checked at startup', () => {
  for (const [title, provider, expected] of [
    [
      'a request-scoped @DistributedCron provider is refused naming class and method',
      RequestScopedReports,
      /@DistributedCron on RequestScopedReports\.weekdayReport: .*request-scoped/,
    ],
    [
      'a request-scoped @ScheduledWorkflow provider is refused naming class and method',
      RequestScopedWorkflow,
      /@ScheduledWorkflow on RequestScopedWorkflow\.exportTable: .*request-scoped/,
    ],
    ['a bad cron names the method and the field', BadCron, /@DistributedCron\(BadCron\.run\).*"cron"/],
    ['a missing name', NoName, /@DistributedCron\(NoName\.run\).*"name"/],
    [
      'one name for two handlers names where the first is',
      [TwoForOneName],
      /"name".*already registered .*by @DistributedCron\(TwoForOneName\.first\)/,
    ],
    [
      'a duplicate @DistributedCron name names the class and method of the first',
      [FirstReports, SecondReports],
      /@DistributedCron\(SecondReports\.evening\).*"name".*already .*by @DistributedCron\(FirstReports\.daily\)/,
    ],
  ] as const) {
    it(`${title}, in one ERROR line through Nest's logger`, async () => {
      const logger = new CapturingLogger();
      const error = await bootFailure(
        [StatefulRedisModule.forRoot({ redis: server.url }), DistributedScheduleModule.forRoot()],
        Array.isArray(provider) ? provider : [provider],
        logger,
      );
      assert.ok(error instanceof StatefulError, String(error));
      assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
      assert.match(error.message, expected);
      const errors = logger.find('error');
      assert.equal(errors.length, 1, logger.allText());
      assert.equal(errors[0].message, `Startup failed: ${error.message}`);
      assert.equal(errors[0].context, 'DistributedScheduler');
    });
  }
});
