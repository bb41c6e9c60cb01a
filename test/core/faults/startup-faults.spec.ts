import assert from 'node:assert/strict';
import { createServer, Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { ErrorCode, isLoggedStartupFailure, NO_POD, StatefulExecutorService } from '../../../lib';
import { ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';
import { CapturingLogger } from '../../harness/capturing-logger';
import { freePort } from '../../harness/free-port';
import { RedisServer } from '../../harness/redis-server';
import { eventually } from '../../harness/wait';
import { compileStatefulModule, failure } from '../../harness/stateful-app';

const MARGIN_MS = 5_000;
const SHAS = SCRIPT_NAMES.map((name) => ROUTING_SCRIPTS[name].sha);
const servers: RedisServer[] = [];

after(async () => {
  await Promise.all(servers.map((server) => server.dispose()));
});

/**
 * Listens on `port` for `windowMs` and counts the connections that arrive: a client still
 * reconnecting in the background (retry delay at most 2 s) would show up.
 */
async function connectionsArrivingOn(port: number, windowMs: number): Promise<number> {
  let count = 0;
  const sockets: Socket[] = [];
  const listener = createServer((socket) => {
    count++;
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1', () => resolve());
  });
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return count;
}

async function scriptsCached(server: RedisServer): Promise<boolean> {
  const flags = (await server.cli('SCRIPT', 'EXISTS', ...SHAS)).split('\n');
  return flags.length === SHAS.length && flags.every((flag) => flag.trim() === '1');
}

describe('Redis unreachable at startup', () => {
  it('init() rejects with REDIS_CONNECTION_ERROR naming 127.0.0.1:<port>, in bounded time, and stops reconnecting', async () => {
    const port = await freePort();
    const connectTimeoutMs = 1_500;
    const moduleRef = await compileStatefulModule({ redis: `redis://127.0.0.1:${port}`, connectTimeoutMs });
    const { error, elapsedMs } = await failure(() => moduleRef.init());
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR);
    assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
    assert.match(error.message, /ECONNREFUSED|connect/i);
    assert.ok(elapsedMs < connectTimeoutMs + MARGIN_MS, `init() took ${elapsedMs} ms`);
    // Nothing may keep trying to connect (it would keep the failed process alive).
    assert.equal(
      await connectionsArrivingOn(port, 3_000),
      0,
      'a reconnect loop is still running after the failed start',
    );
    await moduleRef.close();
  });

  it("is one ERROR line through Nest's logger, the error itself thrown from init()", async () => {
    const port = await freePort();
    const logger = new CapturingLogger();
    const moduleRef = await compileStatefulModule(
      { redis: `redis://:s3cretPassw0rdXyz@127.0.0.1:${port}`, connectTimeoutMs: 1_000 },
      { logger },
    );
    const { error } = await failure(() => moduleRef.init());
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR);
    const errors = logger.find('error');
    assert.equal(errors.length, 1, logger.allText());
    assert.equal(errors[0].message, `Startup failed: ${error.message}`);
    assert.equal(errors[0].context, 'StatefulRedis');
    assert.ok(isLoggedStartupFailure(error));
    assert.ok(!isLoggedStartupFailure(new Error(error.message)) && !isLoggedStartupFailure('text'));
    assert.ok(!logger.allText().includes('s3cretPassw0rdXyz'), logger.allText());
    await moduleRef.close();
  });

  it('names host and port given as ioredis options', async () => {
    const port = await freePort();
    const moduleRef = await compileStatefulModule({ redis: { host: '127.0.0.1', port }, connectTimeoutMs: 1_000 });
    const { error } = await failure(() => moduleRef.init());
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR);
    assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
    assert.equal(await connectionsArrivingOn(port, 3_000), 0);
    await moduleRef.close();
  });

  it('a database the server does not have fails the start, naming it (ioredis alone would carry on in 0)', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const moduleRef = await compileStatefulModule({ redis: `${server.url}/99`, connectTimeoutMs: 2_000 });
    const { error } = await failure(() => moduleRef.init());
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR);
    assert.match(error.message, /database 99 .*DB index is out of range/);
    await moduleRef.close();
  });

  for (const [title, credentials] of [
    ['password only', ':s3cretPassw0rdXyz'],
    ['user and password', 'appuser:s3cretPassw0rdXyz'],
  ] as const) {
    it(`never puts the password of the URL into the error (${title})`, async () => {
      const port = await freePort();
      const moduleRef = await compileStatefulModule({
        redis: `redis://${credentials}@127.0.0.1:${port}`,
        connectTimeoutMs: 1_000,
      });
      const { error } = await failure(() => moduleRef.init());
      assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR);
      assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message);
      for (const text of [
        error.message,
        String(error.stack),
        String((error.cause as Error | undefined)?.message),
        JSON.stringify(error),
      ]) {
        assert.ok(!text.includes('s3cretPassw0rdXyz'), `password leaked: ${text}`);
      }
      await moduleRef.close();
    });
  }

  it('with lazyConnect: true the app starts, calls fail fast, and work once Redis comes up', async () => {
    const port = await freePort();
    const commandTimeoutMs = 500;
    const connectTimeoutMs = 1_000;
    const moduleRef = await compileStatefulModule({
      redis: `redis://127.0.0.1:${port}`,
      lazyConnect: true,
      commandTimeoutMs,
      connectTimeoutMs,
    });
    const started = Date.now();
    await moduleRef.init();
    assert.ok(Date.now() - started < connectTimeoutMs + MARGIN_MS);
    const service = moduleRef.get(StatefulExecutorService);
    try {
      for (const call of [
        () => service.getLinkedPod('ns', 'u', 'svc'),
        () => service.setLinkedPod('ns', 'u', 'svc', 1, -1),
        () => service.batchGetLinkedPod('ns', ['u', 'v'], 'svc'),
      ]) {
        const { error, elapsedMs } = await failure(call);
        assert.ok(
          error.code === ErrorCode.REDIS_CONNECTION_ERROR || error.code === ErrorCode.TIMEOUT,
          `unexpected ${error.code}: ${error.message}`,
        );
        assert.ok(elapsedMs < commandTimeoutMs + MARGIN_MS, `a call took ${elapsedMs} ms`);
      }
      // Stay down past connectTimeoutMs: the background connection must go on trying.
      await new Promise((resolve) => setTimeout(resolve, connectTimeoutMs + 1_000));
      const server = await RedisServer.start({ port });
      servers.push(server);
      assert.equal(
        await eventually('the first call to succeed', () => service.getLinkedPod('ns', 'u', 'svc'), 20_000),
        NO_POD,
      );
      // The scripts are preloaded once the connection is ready.
      await eventually(
        'the scripts to be loaded',
        async () => assert.ok(await scriptsCached(server), 'scripts not cached yet'),
        20_000,
      );
      assert.equal(await service.setLinkedPod('ns', 'u', 'svc', 4, -1), NO_POD);
      assert.deepEqual(await service.trySetLinkedPod('ns', 'u', 'svc', 5, -1), { success: false, podId: 4 });
      assert.deepEqual(await service.getLinkService('ns', 'u'), { svc: 4 });
      assert.equal(await server.cli('GET', 'sf:{ns:lk:u}svc'), '4');
    } finally {
      await moduleRef.close();
    }
  });

  it('with lazyConnect: true, app.close() while Redis is still down stops the background reconnects', async () => {
    const port = await freePort();
    const moduleRef = await compileStatefulModule({
      redis: `redis://127.0.0.1:${port}`,
      lazyConnect: true,
      connectTimeoutMs: 1_000,
    });
    await moduleRef.init();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await moduleRef.close();
    assert.equal(await connectionsArrivingOn(port, 3_000), 0, 'the closed app still reconnects');
    const { error } = await failure(() => moduleRef.get(StatefulExecutorService).getLinkedPod('ns', 'u', 'svc'));
    assert.equal(error.code, ErrorCode.NOT_INITIALIZED);
  });

  it('with lazyConnect: true and Redis up, the scripts are loaded without any call', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const moduleRef = await compileStatefulModule({ redis: server.url, lazyConnect: true });
    await moduleRef.init();
    try {
      await eventually(
        'the scripts to be loaded',
        async () => assert.ok(await scriptsCached(server), 'scripts not cached yet'),
        10_000,
      );
      assert.equal(await moduleRef.get(StatefulExecutorService).setLinkedPod('ns', 'u', 'svc', 2, -1), NO_POD);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('Redis refuses the credentials at startup', () => {
  it('a wrong password fails init() with REDIS_CONNECTION_ERROR giving the reason, not the password', async () => {
    const server = await RedisServer.start({ args: ['--requirepass', 'rightPassw0rd'], password: 'rightPassw0rd' });
    servers.push(server);
    const moduleRef = await compileStatefulModule({
      redis: `redis://:wrongPassw0rd@${server.host}:${server.port}`,
      connectTimeoutMs: 1_500,
    });
    const { error, elapsedMs } = await failure(() => moduleRef.init());
    assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR);
    assert.ok(error.message.includes(`${server.host}:${server.port}`), error.message);
    assert.match(error.message, /WRONGPASS|NOAUTH/);
    assert.ok(
      !error.message.includes('wrongPassw0rd') && !String(error.stack).includes('wrongPassw0rd'),
      error.message,
    );
    assert.ok(elapsedMs < 1_500 + MARGIN_MS);
    await moduleRef.close();
    // Nothing of the failed start stays connected.
    await eventually(
      'the failed start to disconnect',
      async () => {
        const info = await server.cli('INFO', 'clients');
        assert.match(info, /connected_clients:1\r?\n/);
      },
      5_000,
    );
  });
});

describe('scripts cannot be loaded at startup', () => {
  it('an ACL user without EVAL/EVALSHA/SCRIPT fails init() with REDIS_OPERATION_ERROR saying why', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    assert.equal(
      await server.cli(
        'ACL',
        'SETUSER',
        'limited',
        'on',
        '>aclSecretPw42',
        '~*',
        '+@all',
        '-evalsha',
        '-eval',
        '-script',
      ),
      'OK',
    );
    const moduleRef = await compileStatefulModule({
      redis: `redis://limited:aclSecretPw42@${server.host}:${server.port}`,
      connectTimeoutMs: 3_000,
    });
    const { error, elapsedMs } = await failure(() => moduleRef.init());
    assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR);
    assert.match(error.message, /SCRIPT LOAD/);
    assert.match(error.message, /NOPERM|permission/i);
    assert.ok(error.message.includes(`${server.host}:${server.port}`), error.message);
    assert.ok(!error.message.includes('aclSecretPw42'), error.message);
    assert.ok(elapsedMs < 3_000 + MARGIN_MS);
    // The failed start closed its connection.
    await eventually(
      'the connection of the failed start to close',
      async () => {
        const clients = await server.cli('CLIENT', 'LIST');
        assert.ok(!/user=limited/.test(clients), clients);
      },
      5_000,
    );
    await moduleRef.close();
  });
});
