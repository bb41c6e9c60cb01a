import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  NO_POD,
  StatefulError,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../lib';
import type { RedisServer } from '../harness/redis-server';
import { useRedisServer } from '../harness/redis-server-fixture';
import { bootTestingModule, compileStatefulModule } from '../harness/stateful-app';
import { silentLogger } from '../harness/capturing-logger';

let server: RedisServer;
useRedisServer((started) => (server = started));

/** Proves the service talks to this test's Redis: a write through it is seen by redis-cli. */
async function assertWorks(service: StatefulExecutorService, uid: string): Promise<void> {
  assert.equal(await service.setLinkedPod('ns', uid, 'svc', 3, -1), NO_POD);
  assert.equal(await server.cli('GET', `sf:{ns:lk:${uid}}svc`), '3');
  assert.equal(await service.getLinkedPod('ns', uid, 'svc'), 3);
}

async function clientNames(): Promise<string[]> {
  const list = await server.cli('CLIENT', 'LIST');
  return list.split('\n').map((line) => /name=(\S*)/.exec(line)?.[1] ?? '');
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Compiling and initialising with these options must fail with INVALID_PARAMETER naming `option`. */
async function assertBadOptions(options: StatefulRedisModuleOptions, option: string, field: string): Promise<void> {
  let moduleRef: TestingModule | undefined;
  await assert.rejects(
    async () => {
      moduleRef = await compileStatefulModule(options);
      await moduleRef.init();
    },
    (error: unknown) => {
      assert.ok(error instanceof StatefulError, `expected a StatefulError, got ${String(error)}`);
      assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
      assert.ok(error.message.includes(option), `message "${error.message}" should name ${option}`);
      assert.equal(error.field, field);
      return true;
    },
  );
  await moduleRef?.close();
}

describe('StatefulRedisModule.forRoot', () => {
  it('provides a working StatefulExecutorService and an injectable StatefulRedisHealthIndicator', async () => {
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url })]);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      assert.ok(service instanceof StatefulExecutorService);
      await assertWorks(service, 'forRoot');
      const indicator = moduleRef.get(StatefulRedisHealthIndicator);
      assert.ok(indicator instanceof StatefulRedisHealthIndicator);
      const result = await indicator.isHealthy('redis');
      assert.equal(result.redis.status, 'up');
    } finally {
      await moduleRef.close();
    }
  });

  it('accepts ioredis options instead of a URL', async () => {
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRoot({ redis: { host: server.host, port: server.port } }),
    ]);
    try {
      await assertWorks(moduleRef.get(StatefulExecutorService), 'object-options');
    } finally {
      await moduleRef.close();
    }
  });

  it('uses the keyPrefix option in every key', async () => {
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url, keyPrefix: 'myp' })]);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setLinkedPod('ns', 'u', 'svc', 4, -1);
      await service.setServiceState('ns', 'svc', 4, 'running');
      await service.setPodWeight('ns', 'svc', 4, 9);
      await service.setWorkloadState('ns', 'svc', 'live');
      assert.equal(await server.cli('GET', 'myp:{ns:lk:u}svc'), '4');
      assert.equal(await server.cli('HGET', 'myp:{ns:lk:u}', 'svc'), '4');
      assert.equal(await server.cli('HGET', 'myp:{ns:state:svc}', '4'), 'running');
      assert.equal(await server.cli('HGET', 'myp:{ns:state:svc}weight', '4'), '9');
      assert.equal(await server.cli('GET', 'myp:{ns:workload:svc}'), 'live');
      const keys = (await server.cli('--scan', '--pattern', '*')).split('\n').sort();
      assert.deepEqual(keys, [
        'myp:{ns:lk:u}',
        'myp:{ns:lk:u}svc',
        'myp:{ns:state:svc}',
        'myp:{ns:state:svc}seen',
        'myp:{ns:state:svc}weight',
        'myp:{ns:state:svc}writes',
        'myp:{ns:workload:svc}',
      ]);
      // Reads go through the prefix too: a link written under the default prefix is not seen.
      await server.cli('SET', 'sf:{ns:lk:other}svc', '7');
      assert.equal(await service.getLinkedPod('ns', 'other', 'svc'), NO_POD);
      await server.cli('SET', 'myp:{ns:lk:other}svc', '8');
      assert.equal(await service.getLinkedPod('ns', 'other', 'svc'), 8);
    } finally {
      await moduleRef.close();
    }
  });

  it('uses the default keyPrefix "sf" without the option', async () => {
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url })]);
    try {
      await moduleRef.get(StatefulExecutorService).setLinkedPod('ns', 'u', 'svc', 4, -1);
      assert.equal(await server.cli('GET', 'sf:{ns:lk:u}svc'), '4');
      assert.equal(await server.cli('EXISTS', 'myp:{ns:lk:u}svc'), '0');
    } finally {
      await moduleRef.close();
    }
  });

  it("places new users only on pods in the module's routableStates", async () => {
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRoot({ redis: server.url, routableStates: ['ready', 'warm'] }),
    ]);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setServiceState('ns', 'svc', 0, 'running');
      await service.setServiceState('ns', 'svc', 1, 'ready');
      await service.setServiceState('ns', 'svc', 2, 'draining');
      await service.setPodWeight('ns', 'svc', 1, 100);
      for (let i = 0; i < 20; i++) {
        assert.equal(await service.computeLinkedPodIfAbsent('ns', `u${i}`, 'svc', -1), 1, `uid u${i}`);
      }
      // The per-call option still wins over the module option.
      assert.equal(await service.computeLinkedPodIfAbsent('ns', 'per-call', 'svc', -1, { states: ['running'] }), 0);
      // No pod in a routable state: NO_POD, nothing linked.
      await service.setServiceState('ns', 'svc2', 0, 'running');
      assert.equal(await service.computeLinkedPodIfAbsent('ns', 'nobody', 'svc2', -1), NO_POD);
      assert.equal(await server.cli('EXISTS', 'sf:{ns:lk:nobody}svc2'), '0');
      await service.setServiceState('ns', 'svc2', 5, 'warm');
      assert.equal(await service.computeLinkedPodIfAbsent('ns', 'nobody', 'svc2', -1), 5);
    } finally {
      await moduleRef.close();
    }
  });

  it('places new users on "running" pods by default', async () => {
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url })]);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setServiceState('ns', 'svc', 0, 'ready');
      await service.setServiceState('ns', 'svc', 1, 'running');
      for (let i = 0; i < 10; i++) assert.equal(await service.computeLinkedPodIfAbsent('ns', `d${i}`, 'svc', -1), 1);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('StatefulRedisModule.forRootAsync', () => {
  it('useFactory with imports: [ConfigModule] and inject: [ConfigService] (value from load)', async () => {
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({
            load: [() => ({ stateful: { url: server.url, prefix: 'cfg' } })],
            ignoreEnvFile: true,
          }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          redis: config.getOrThrow<string>('stateful.url'),
          keyPrefix: config.getOrThrow<string>('stateful.prefix'),
        }),
      }),
    ]);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setLinkedPod('ns', 'u', 'svc', 2, -1);
      assert.equal(await server.cli('GET', 'cfg:{ns:lk:u}svc'), '2');
    } finally {
      await moduleRef.close();
    }
  });

  it('useFactory reading an environment variable through ConfigService, async factory', async () => {
    process.env.SF_MODULE_SPEC_REDIS_URL = server.url;
    try {
      const moduleRef = await bootTestingModule([
        StatefulRedisModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => {
            await new Promise((resolve) => setImmediate(resolve));
            return { redis: config.getOrThrow<string>('SF_MODULE_SPEC_REDIS_URL') };
          },
        }),
      ]);
      try {
        await assertWorks(moduleRef.get(StatefulExecutorService), 'env');
      } finally {
        await moduleRef.close();
      }
    } finally {
      delete process.env.SF_MODULE_SPEC_REDIS_URL;
    }
  });

  it('useClass with a class implementing createStatefulRedisOptions()', async () => {
    @Injectable()
    class StatefulOptionsFactory {
      createStatefulRedisOptions(): StatefulRedisModuleOptions {
        return { redis: server.url, keyPrefix: 'cls' };
      }
    }
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRootAsync({ useClass: StatefulOptionsFactory })]);
    try {
      await moduleRef.get(StatefulExecutorService).setLinkedPod('ns', 'u', 'svc', 6, -1);
      assert.equal(await server.cli('GET', 'cls:{ns:lk:u}svc'), '6');
    } finally {
      await moduleRef.close();
    }
  });

  it('useClass whose factory depends on ConfigService', async () => {
    @Injectable()
    class ConfiguredOptionsFactory {
      constructor(private readonly config: ConfigService) {}
      async createStatefulRedisOptions(): Promise<StatefulRedisModuleOptions> {
        return { redis: this.config.getOrThrow<string>('url'), routableStates: ['ready'] };
      }
    }
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRootAsync({
        imports: [ConfigModule.forRoot({ load: [() => ({ url: server.url })], ignoreEnvFile: true })],
        useClass: ConfiguredOptionsFactory,
      }),
    ]);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setServiceState('ns', 'svc', 0, 'running');
      await service.setServiceState('ns', 'svc', 1, 'ready');
      assert.equal(await service.computeLinkedPodIfAbsent('ns', 'u', 'svc', -1), 1);
    } finally {
      await moduleRef.close();
    }
  });

  it('useExisting with an options factory exported by an imported module', async () => {
    @Injectable()
    class SharedOptionsFactory {
      createStatefulRedisOptions(): StatefulRedisModuleOptions {
        return { redis: server.url, keyPrefix: 'ex' };
      }
    }
    @Module({ providers: [SharedOptionsFactory], exports: [SharedOptionsFactory] })
    class SharedOptionsModule {}

    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRootAsync({ imports: [SharedOptionsModule], useExisting: SharedOptionsFactory }),
    ]);
    try {
      await moduleRef.get(StatefulExecutorService).setLinkedPod('ns', 'u', 'svc', 1, -1);
      assert.equal(await server.cli('GET', 'ex:{ns:lk:u}svc'), '1');
    } finally {
      await moduleRef.close();
    }
  });

  it('validates the options the factory returns', async () => {
    let moduleRef: TestingModule | undefined;
    await assert.rejects(
      async () => {
        moduleRef = await Test.createTestingModule({
          imports: [
            StatefulRedisModule.forRootAsync({ useFactory: () => ({ redis: server.url, routableStates: [] }) }),
          ],
        })
          .setLogger(silentLogger)
          .compile();
        await moduleRef.init();
      },
      (error: unknown) =>
        error instanceof StatefulError &&
        error.code === ErrorCode.INVALID_PARAMETER &&
        error.field === 'routableStates' &&
        /routableStates/.test(error.message),
    );
    await moduleRef?.close();
  });
});

describe('isGlobal', () => {
  @Injectable()
  class FeatureService {
    constructor(
      readonly stateful: StatefulExecutorService,
      readonly health: StatefulRedisHealthIndicator,
    ) {}
  }
  /** A feature module that does not import StatefulRedisModule. */
  @Module({ providers: [FeatureService], exports: [FeatureService] })
  class FeatureModule {}

  it('forRoot({ isGlobal: true }) lets a module that does not import it inject the service', async () => {
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRoot({ redis: server.url, isGlobal: true }),
      FeatureModule,
    ]);
    try {
      const feature = moduleRef.get(FeatureService);
      assert.equal(feature.stateful, moduleRef.get(StatefulExecutorService));
      assert.ok(feature.health instanceof StatefulRedisHealthIndicator);
      await assertWorks(feature.stateful, 'global-forRoot');
    } finally {
      await moduleRef.close();
    }
  });

  it('forRootAsync({ isGlobal: true }) lets a module that does not import it inject the service', async () => {
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRootAsync({ isGlobal: true, useFactory: () => ({ redis: server.url }) }),
      FeatureModule,
    ]);
    try {
      await assertWorks(moduleRef.get(FeatureService).stateful, 'global-async');
    } finally {
      await moduleRef.close();
    }
  });

  for (const [title, dynamicModule] of [
    ['forRoot', () => StatefulRedisModule.forRoot({ redis: server.url })],
    ['forRootAsync', () => StatefulRedisModule.forRootAsync({ useFactory: () => ({ redis: server.url }) })],
  ] as const) {
    it(`${title} without isGlobal is global by default: a module that does not import it injects the service`, async () => {
      const moduleRef = await bootTestingModule([dynamicModule(), FeatureModule]);
      try {
        await assertWorks(moduleRef.get(FeatureService).stateful, `default-global-${title}`);
      } finally {
        await moduleRef.close();
      }
    });
  }

  for (const [title, dynamicModule] of [
    ['forRoot', () => StatefulRedisModule.forRoot({ redis: server.url, isGlobal: false })],
    [
      'forRootAsync',
      () => StatefulRedisModule.forRootAsync({ isGlobal: false, useFactory: () => ({ redis: server.url }) }),
    ],
  ] as const) {
    it(`${title} with isGlobal: false is not visible to a module that does not import it`, async () => {
      let moduleRef: TestingModule | undefined;
      await assert.rejects(
        async () => {
          moduleRef = await Test.createTestingModule({ imports: [dynamicModule(), FeatureModule] })
            .setLogger(silentLogger)
            .compile();
        },
        (error: Error) => /StatefulExecutorService|resolve dependencies/.test(error.message),
      );
      await moduleRef?.close();
    });
  }

  it('a module that imports it sees it with isGlobal: false', async () => {
    @Module({
      imports: [StatefulRedisModule.forRoot({ redis: server.url, isGlobal: false })],
      providers: [FeatureService],
      exports: [FeatureService],
    })
    class ImportingFeatureModule {}
    const moduleRef = await bootTestingModule([ImportingFeatureModule]);
    try {
      await assertWorks(moduleRef.get(FeatureService).stateful, 'importing');
    } finally {
      await moduleRef.close();
    }
  });
});

describe('bad options stop the app', () => {
  it('keyPrefix with a brace', async () => {
    await assertBadOptions({ redis: server.url, keyPrefix: 'a{b' }, 'keyPrefix', 'keyPrefix');
  });

  it('empty routableStates', async () => {
    await assertBadOptions({ redis: server.url, routableStates: [] }, 'routableStates', 'routableStates');
  });

  it('commandTimeoutMs 0', async () => {
    await assertBadOptions({ redis: server.url, commandTimeoutMs: 0 }, 'commandTimeoutMs', 'commandTimeoutMs');
  });

  it('two of redis / cluster / client', async () => {
    const client = new Redis(server.port, server.host, { lazyConnect: true });
    try {
      await assertBadOptions({ redis: server.url, client }, '"redis", "client"', 'redis|cluster|client');
      await assertBadOptions(
        { redis: server.url, cluster: { nodes: [{ host: server.host, port: server.port }] } },
        '"redis", "cluster"',
        'redis|cluster|client',
      );
    } finally {
      client.disconnect();
    }
  });

  it('none of redis / cluster / client', async () => {
    await assertBadOptions({}, 'exactly one of "redis", "cluster", "client"', 'redis|cluster|client');
  });

  it('redis not a URL', async () => {
    await assertBadOptions({ redis: `127.0.0.1:${server.port}` }, '"redis"', 'redis');
    await assertBadOptions({ redis: `http://127.0.0.1:${server.port}` }, '"redis"', 'redis');
  });

  it('opens no connection to Redis when the options are bad', async () => {
    const before = await server.connectedClients();
    await assertBadOptions({ redis: server.url, keyPrefix: '}' }, 'keyPrefix', 'keyPrefix');
    assert.equal(await server.connectedClients(), before);
  });
});

describe('connection ownership', () => {
  it('closes the connection it owns on app.close() (URL)', async () => {
    const before = await server.connectedClients();
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url })]);
    await assertWorks(moduleRef.get(StatefulExecutorService), 'owned');
    assert.equal(await server.connectedClients(), before + 1);
    await moduleRef.close();
    await waitFor(async () => (await server.connectedClients()) === before, 'the owned connection to be closed');
  });

  it('closes the connection it owns on app.close() (ioredis options, seen by name in CLIENT LIST)', async () => {
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRoot({ redis: { host: server.host, port: server.port, connectionName: 'sf-owned-conn' } }),
    ]);
    await assertWorks(moduleRef.get(StatefulExecutorService), 'owned-named');
    assert.ok((await clientNames()).includes('sf-owned-conn'));
    await moduleRef.close();
    await waitFor(async () => !(await clientNames()).includes('sf-owned-conn'), 'sf-owned-conn to leave CLIENT LIST');
  });

  it('never closes a client passed in', async () => {
    const client = new Redis(server.port, server.host, { connectionName: 'app-client', maxRetriesPerRequest: 1 });
    try {
      await client.ping();
      const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ client })]);
      const service = moduleRef.get(StatefulExecutorService);
      await assertWorks(service, 'borrowed');
      await moduleRef.close();
      assert.equal(client.status, 'ready');
      assert.equal(await client.ping(), 'PONG');
      assert.equal(await client.get('sf:{ns:lk:borrowed}svc'), '3');
      assert.ok((await clientNames()).includes('app-client'));
      // The service itself refuses to work after shutdown, even though the client is still open.
      await assert.rejects(
        service.getLinkedPod('ns', 'borrowed', 'svc'),
        (error: unknown) => error instanceof StatefulError && error.code === ErrorCode.NOT_INITIALIZED,
      );
    } finally {
      client.disconnect();
    }
  });

  it('connects a passed-in client that was created with lazyConnect and still leaves it open', async () => {
    const client = new Redis(server.port, server.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      assert.equal(client.status, 'wait');
      const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ client })]);
      await assertWorks(moduleRef.get(StatefulExecutorService), 'borrowed-lazy');
      await moduleRef.close();
      assert.equal(client.status, 'ready');
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('app.close() twice is harmless', async () => {
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url })]);
    await moduleRef.close();
    await moduleRef.close();
  });
});
