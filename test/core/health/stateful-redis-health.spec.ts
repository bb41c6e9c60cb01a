import { ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StatefulExecutorService, StatefulRedisHealthIndicator, StatefulRedisModuleOptions } from '../../../lib';
import { ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';
import { RedisServer } from '../../harness/redis-server';
import { eventually } from '../../harness/wait';
import { bootStatefulModule } from '../../harness/stateful-app';

const MARGIN_MS = 5_000;

function startHealthApp(options: StatefulRedisModuleOptions): Promise<TestingModule> {
  return bootStatefulModule(options, { imports: [TerminusModule] });
}

type Details = Record<string, unknown> & { status: string };

describe('StatefulRedisHealthIndicator', () => {
  let server: RedisServer;
  let moduleRef: TestingModule;
  let indicator: StatefulRedisHealthIndicator;
  let health: HealthCheckService;
  const healthCheckTimeoutMs = 500;

  async function timedCheck(key = 'redis'): Promise<{ details: Details; elapsedMs: number }> {
    const started = Date.now();
    const result = await indicator.isHealthy(key);
    const elapsedMs = Date.now() - started;
    assert.deepEqual(Object.keys(result), [key]);
    return { details: result[key] as Details, elapsedMs };
  }

  async function assertUp(scriptsLoaded?: boolean): Promise<void> {
    const { details } = await timedCheck();
    assert.equal(details.status, 'up', JSON.stringify(details));
    assert.equal(typeof details.scriptsLoaded, 'boolean');
    if (scriptsLoaded !== undefined) assert.equal(details.scriptsLoaded, scriptsLoaded);
  }

  before(async () => {
    server = await RedisServer.start();
    // A long command timeout, so that only the health check's own bound can answer in time.
    moduleRef = await startHealthApp({ redis: server.url, healthCheckTimeoutMs, commandTimeoutMs: 10_000 });
    indicator = moduleRef.get(StatefulRedisHealthIndicator);
    health = moduleRef.get(HealthCheckService);
  });

  after(async () => {
    await moduleRef?.close();
    await server?.dispose();
  });

  it('is up with the round trip and scriptsLoaded: true after startup', async () => {
    const result = await indicator.isHealthy('redis');
    assert.deepEqual(Object.keys(result), ['redis']);
    const details = result.redis as Details;
    assert.deepEqual(Object.keys(details).sort(), ['roundTripMs', 'scriptsLoaded', 'status']);
    assert.equal(details.status, 'up');
    assert.equal(typeof details.roundTripMs, 'number');
    assert.ok(
      Number.isFinite(details.roundTripMs) && (details.roundTripMs as number) >= 0,
      String(details.roundTripMs),
    );
    assert.equal(details.scriptsLoaded, true);
  });

  it('reports under the key it is given', async () => {
    const result = await indicator.isHealthy('stateful-cache');
    assert.deepEqual(Object.keys(result), ['stateful-cache']);
    assert.equal((result['stateful-cache'] as Details).status, 'up');
  });

  it('HealthCheckService.check() reports ok', async () => {
    const result = await health.check([() => indicator.isHealthy('redis')]);
    assert.equal(result.status, 'ok');
    assert.equal(result.info?.redis?.status, 'up');
    assert.equal(result.info?.redis?.scriptsLoaded, true);
    assert.deepEqual(result.error, {});
  });

  it('after SCRIPT FLUSH: up with scriptsLoaded: false until every script is cached again', async () => {
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    await assertUp(false);
    // One script run through NOSCRIPT healing caches that script only: still not all loaded.
    const service = moduleRef.get(StatefulExecutorService);
    await service.setLinkedPod('ns', 'u', 'svc', 1, -1);
    await assertUp(false);
    // SCRIPT LOAD of every script (as after a restart) makes it true again.
    for (const name of SCRIPT_NAMES) await server.cli('SCRIPT', 'LOAD', ROUTING_SCRIPTS[name].source);
    await assertUp(true);
  });

  it('CLIENT PAUSE: down with a message within healthCheckTimeoutMs (not the 10 s command timeout)', async () => {
    assert.equal(await server.cli('CLIENT', 'PAUSE', '4000', 'ALL'), 'OK');
    try {
      const { details, elapsedMs } = await timedCheck();
      assert.equal(details.status, 'down', JSON.stringify(details));
      assert.equal(typeof details.message, 'string');
      assert.match(details.message as string, new RegExp(`within ${healthCheckTimeoutMs} ms`));
      assert.ok(elapsedMs < 3_500, `the check took ${elapsedMs} ms`);

      // Through HealthCheckService: a 503.
      await assert.rejects(health.check([() => indicator.isHealthy('redis')]), (error: unknown) => {
        assert.ok(error instanceof ServiceUnavailableException, String(error));
        const body = error.getResponse() as { status: string; error: Record<string, Details> };
        assert.equal(body.status, 'error');
        assert.equal(body.error.redis.status, 'down');
        return true;
      });
    } finally {
      await server.cli('CLIENT', 'UNPAUSE');
    }
    await eventually('up after the pause', () => assertUp(), 20_000);
  });

  it('Redis stopped: down with a message, answered in bounded time; HealthCheckService.check() throws 503', async () => {
    await server.stop();
    try {
      for (let round = 0; round < 3; round++) {
        const { details, elapsedMs } = await timedCheck();
        assert.equal(details.status, 'down', JSON.stringify(details));
        assert.equal(typeof details.message, 'string');
        assert.ok((details.message as string).length > 0);
        assert.ok(elapsedMs < healthCheckTimeoutMs + MARGIN_MS, `the check took ${elapsedMs} ms`);
      }
      await assert.rejects(health.check([() => indicator.isHealthy('redis')]), (error: unknown) => {
        assert.ok(error instanceof ServiceUnavailableException, String(error));
        const body = error.getResponse() as {
          status: string;
          error: Record<string, Details>;
          details: Record<string, Details>;
        };
        assert.equal(body.status, 'error');
        assert.equal(body.error.redis.status, 'down');
        assert.equal(typeof body.error.redis.message, 'string');
        assert.equal(body.details.redis.status, 'down');
        return true;
      });
    } finally {
      await server.start();
    }
    // Back up by itself, with the scripts reloaded into the empty Redis.
    await eventually('up with scripts loaded after the restart', () => assertUp(true), 20_000);
    const result = await health.check([() => indicator.isHealthy('redis')]);
    assert.equal(result.status, 'ok');
  });

  it('Redis killed: down, then up again after the restart', async () => {
    await server.kill();
    try {
      const { details, elapsedMs } = await timedCheck();
      assert.equal(details.status, 'down');
      assert.ok(elapsedMs < healthCheckTimeoutMs + MARGIN_MS);
    } finally {
      await server.start();
    }
    await eventually('up after the restart', () => assertUp(true), 20_000);
  });
});

describe('StatefulRedisHealthIndicator with a lazily started app', () => {
  it('is down (not hanging) while Redis was never reachable', async () => {
    const server = await RedisServer.start();
    const port = server.port;
    await server.stop();
    const moduleRef = await startHealthApp({
      redis: `redis://127.0.0.1:${port}`,
      lazyConnect: true,
      healthCheckTimeoutMs: 300,
      connectTimeoutMs: 1_000,
    });
    try {
      const indicator = moduleRef.get(StatefulRedisHealthIndicator);
      const started = Date.now();
      const result = await indicator.isHealthy('redis');
      assert.equal((result.redis as Details).status, 'down');
      assert.match(String((result.redis as Details).message), /not connected|ECONNREFUSED|connect/i);
      assert.ok(Date.now() - started < 300 + MARGIN_MS);
      await server.start();
      await eventually(
        'up once Redis is reachable',
        async () => {
          const details = (await indicator.isHealthy('redis')).redis as Details;
          assert.equal(details.status, 'up');
          assert.equal(details.scriptsLoaded, true);
        },
        20_000,
      );
    } finally {
      await moduleRef.close();
      await server.dispose();
    }
  });
});
