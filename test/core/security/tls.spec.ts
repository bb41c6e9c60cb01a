import { TerminusModule } from '@nestjs/terminus';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ErrorCode, NO_POD, StatefulExecutorService, StatefulRedisHealthIndicator } from '../../../lib';
import type { RedisServer } from '../../harness/redis-server';
import { startTlsRedis, TestCertificates } from '../../harness/tls-certificates';
import { bootStatefulModule, startupFailure } from '../../harness/stateful-app';

const execFileAsync = promisify(execFile);
const PASSWORD = 'tlsAclPw-93be01';
const CONNECT_TIMEOUT_MS = 1_500;
const MARGIN_MS = 5_000;

describe('TLS (a redis-server with a certificate made by the test)', () => {
  let server: RedisServer;
  let tlsPort: number;
  let certs: TestCertificates;

  before(async () => {
    ({ server, tlsPort, certs } = await startTlsRedis());
    assert.equal(await server.cli('ACL', 'SETUSER', 'tlsuser', 'on', `>${PASSWORD}`, '~sf:*', '+@all'), 'OK');
  });

  after(async () => {
    await server?.dispose();
  });

  it('works with ioredis TLS options trusting the test CA: every kind of call and the health check', async () => {
    const options = { redis: { host: '127.0.0.1', port: tlsPort, tls: { ca: certs.ca } } };
    const moduleRef = await bootStatefulModule(options, { imports: [TerminusModule] });
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setServiceState('tls', 'svc', 0, 'running');
      assert.equal(await service.computeLinkedPodIfAbsent('tls', 'a', 'svc', -1), 0);
      assert.equal(await service.setLinkedPod('tls', 'b', 'svc', 3, 60), NO_POD);
      assert.deepEqual(await service.batchGetLinkedPod('tls', ['a', 'b'], 'svc'), { 0: ['a'], 3: ['b'] });
      assert.equal(await service.removeLinkedPod('tls', 'b', 'svc', 0), true);
      const health = await moduleRef.get(StatefulRedisHealthIndicator).isHealthy('redis');
      assert.equal(health.redis.status, 'up');
      assert.equal(health.redis.scriptsLoaded, true);
    } finally {
      await moduleRef.close();
    }
    // The server has no plain port: what was written went over TLS.
    assert.equal(await server.cli('GET', 'sf:{tls:lk:a}svc'), '0');
  });

  it('works with a rediss:// URL carrying an ACL user and password; neither the password nor the URL reaches the logs', async () => {
    // Node trusts extra CAs given at process start only: run the app in a child process.
    const fixture = join(__dirname, 'fixtures', 'url-app.js');
    const { stdout } = await execFileAsync(process.execPath, [fixture], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certs.caFile,
        SF_TEST_URL: `rediss://tlsuser:${PASSWORD}@127.0.0.1:${tlsPort}`,
      },
      timeout: 30_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() as string);
    assert.equal(result.error, undefined, result.message);
    assert.equal(result.previous, NO_POD);
    assert.deepEqual(result.links, { svc: 7 });
    assert.equal(result.health.status, 'up');
    assert.ok(result.logs.includes('setLinkedPod'), 'logOperations lines were captured');
    assert.ok(!stdout.includes(PASSWORD), `password in the child's output:\n${stdout}`);
    assert.ok(!stdout.includes('rediss://'), `a URL in the child's output:\n${stdout}`);
  });

  it('a certificate the client does not trust: startup fails with REDIS_CONNECTION_ERROR naming the endpoint and the certificate problem, in bounded time', async () => {
    const { error, elapsedMs } = await startupFailure({
      redis: { host: '127.0.0.1', port: tlsPort, tls: {}, username: 'tlsuser', password: PASSWORD },
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR, error.message);
    assert.ok(error.message.includes(`127.0.0.1:${tlsPort}`), error.message);
    assert.match(error.message, /certificate/i);
    assert.ok(!`${error.message}${error.stack}`.includes(PASSWORD));
    assert.ok(elapsedMs < CONNECT_TIMEOUT_MS + MARGIN_MS, `took ${elapsedMs} ms`);
  });

  it('plain redis:// to the TLS port: startup fails with REDIS_CONNECTION_ERROR in bounded time, without the password', async () => {
    const { error, elapsedMs } = await startupFailure({
      redis: `redis://tlsuser:${PASSWORD}@127.0.0.1:${tlsPort}`,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR, error.message);
    assert.ok(error.message.includes(`127.0.0.1:${tlsPort}`), error.message);
    assert.ok(!`${error.message}${error.stack}`.includes(PASSWORD));
    assert.ok(elapsedMs < CONNECT_TIMEOUT_MS + MARGIN_MS, `took ${elapsedMs} ms`);
  });
});
