import { Injectable, Module } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StatefulRedisHealthIndicator, StatefulRedisModule } from '../../../lib';
import { silentLogger } from '../../harness/capturing-logger';
import { RedisServer } from '../../harness/redis-server';

let server: RedisServer;
before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server?.dispose();
});

describe('terminus wiring', () => {
  it('an app that does not import TerminusModule itself can use HealthCheckService with the indicator', async () => {
    @Injectable()
    class HealthProbe {
      constructor(
        readonly health: HealthCheckService,
        readonly indicator: StatefulRedisHealthIndicator,
      ) {}
    }
    @Module({ imports: [StatefulRedisModule.forRoot({ redis: server.url })], providers: [HealthProbe] })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .setLogger(silentLogger)
      .compile();
    await moduleRef.init();
    try {
      const probe = moduleRef.get(HealthProbe);
      const result = await probe.health.check([() => probe.indicator.isHealthy('redis')]);
      assert.equal(result.status, 'ok');
      assert.equal(result.info?.redis?.status, 'up');
    } finally {
      await moduleRef.close();
    }
  });
});
