import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  ErrorCode,
  METRIC_NAMES,
  StatefulError,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  StatefulRedisModule,
} from '../../lib';
import type { RedisServer } from '../harness/redis-server';
import { useRedisServer } from '../harness/redis-server-fixture';
import { bootTestingModule } from '../harness/stateful-app';
import { ECHO_SCRIPTS, EchoFeatureModule, EchoService } from './fixtures/echo-feature.module';

let server: RedisServer;
useRedisServer((started) => (server = started), { flushScripts: true });
const echoSha = ECHO_SCRIPTS.testFeatureEcho.sha;

describe('a second feature module beside StatefulRedisModule (no isGlobal)', () => {
  for (const [title, stateful] of [
    ['forRoot', () => StatefulRedisModule.forRoot({ redis: server.url })],
    ['forRootAsync', () => StatefulRedisModule.forRootAsync({ useFactory: async () => ({ redis: server.url }) })],
  ] as const) {
    it(`${title}: shares the connection and the scripts, its own script preloaded and run through the pipeline`, async () => {
      const clientsBefore = await server.connectedClients();
      const moduleRef = await bootTestingModule([stateful(), EchoFeatureModule]);
      try {
        // Preloaded at startup with the routing scripts, before any call.
        assert.equal(await server.cli('SCRIPT', 'EXISTS', echoSha), '1');
        const echo = moduleRef.get(EchoService);
        assert.equal(await echo.echo('echo:key', 'hello'), 'hello');
        assert.equal(await server.cli('GET', 'echo:key'), 'hello');
        // One connection for both features, one script runner.
        assert.equal(await server.connectedClients(), clientsBefore + 1);
        const routing = moduleRef.get(StatefulExecutorService);
        assert.equal((routing as unknown as { scripts: unknown }).scripts, echo.scripts);
        await routing.setLinkedPod('ns', 'u', 'svc', 1, -1);
        // The health probe checks every feature's scripts.
        const health = await moduleRef.get(StatefulRedisHealthIndicator).isHealthy('redis');
        assert.deepEqual({ ...health.redis, roundTripMs: 0 }, { status: 'up', roundTripMs: 0, scriptsLoaded: true });
      } finally {
        await moduleRef.close();
      }
    });
  }

  it("heals NOSCRIPT for the feature's script too", async () => {
    const moduleRef = await bootTestingModule([StatefulRedisModule.forRoot({ redis: server.url }), EchoFeatureModule]);
    try {
      await server.cli('SCRIPT', 'FLUSH');
      assert.equal(await moduleRef.get(EchoService).echo('k', 'again'), 'again');
    } finally {
      await moduleRef.close();
    }
  });

  it('counts its operations under its own feature label, and refuses them after shutdown', async () => {
    const registry = new Registry();
    const moduleRef = await bootTestingModule([
      StatefulRedisModule.forRoot({ redis: server.url, metrics: { registry } }),
      EchoFeatureModule,
    ]);
    const echo = moduleRef.get(EchoService);
    await echo.echo('k', 'v');
    await moduleRef.get(StatefulExecutorService).getLinkedPod('ns', 'u', 'svc');
    const text = await registry.metrics();
    assert.match(text, new RegExp(`^${METRIC_NAMES.operations}\\{feature="echo",operation="echo"\\} 1$`, 'm'));
    assert.match(
      text,
      new RegExp(`^${METRIC_NAMES.operations}\\{feature="routing",operation="getLinkedPod"\\} 1$`, 'm'),
    );
    await moduleRef.close();
    await assert.rejects(
      echo.echo('k', 'v'),
      (error: unknown) => error instanceof StatefulError && error.code === ErrorCode.NOT_INITIALIZED,
    );
  });
});
