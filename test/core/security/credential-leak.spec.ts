import { Logger } from '@nestjs/common';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ErrorCode,
  StatefulError,
  StatefulErrorFilter,
  StatefulExecutorService,
  StatefulRedisModuleOptions,
} from '../../../lib';
import { RedisCluster } from '../../harness/redis-cluster';
import { RedisServer } from '../../harness/redis-server';
import { startTlsRedis, TestCertificates } from '../../harness/tls-certificates';
import { eventually } from '../../harness/wait';
import { CapturingLogger } from '../../harness/capturing-logger';
import { recordingHttpHost } from '../../harness/recording-http-host';
import { bootStatefulModule, failure, startupFailure } from '../../harness/stateful-app';
import { assertSecretNowhere } from './secret-exposure';

/*
 * Defect 7 of issue 8: ioredis errors carry the command that failed, and a failed handshake's
 * command is `HELLO 3 AUTH <user> <password>`. No error the library throws or logs may let the
 * password be read, however deep one looks; what is useful (code, message, endpoint) stays.
 */

const RIGHT_PASSWORD = 'rightPw-0c4f2e7a91';
const ACL_USER = 'leakuser';
const ACL_PASSWORD = 'aclRightPw-5d83b1';
/** Wrong passwords, one per case, so that a leak names its case. */
const WRONG = {
  option: 'wrongOptionPw-7a1e93',
  aclOption: 'wrongAclOptionPw-2b9d40',
  urlPasswordOnly: 'wrongUrlPw-c61f08',
  urlWithUser: 'wrongUrlUserPw-9e2a77',
  /** Characters a URL must percent-encode: the error must hold neither form. */
  urlEncoded: 'wr0ng:p@ss/w%rd-41f',
  borrowed: 'wrongBorrowedPw-3c5e19',
  sentinel: 'wrongSentinelPw-8d0b62',
  tls: 'wrongTlsPw-1f7c3a',
  tlsUrl: 'wrongTlsUrlPw-6a2d58',
  cluster: 'wrongClusterPw-0e9b47',
} as const;

/** The start fails; the error and the logs must not hold `secret`, yet say what happened and where. */
async function assertStartupFailsWithoutSecret(
  options: StatefulRedisModuleOptions,
  secrets: string[],
  endpoint?: string,
): Promise<StatefulError> {
  const logger = new CapturingLogger();
  const { error } = await startupFailure({ connectTimeoutMs: 3_000, ...options }, { logger });
  assert.equal(error.code, ErrorCode.REDIS_CONNECTION_ERROR, error.message);
  assert.equal(error.operation, 'connect');
  if (endpoint) assert.ok(error.message.includes(endpoint), error.message);
  for (const secret of secrets) assertSecretNowhere(error, secret, logger);
  return error;
}

/** What scrubbing keeps: the reason in the message and in the cause, and the failed command's name. */
function assertReasonKept(error: StatefulError): void {
  assert.match(error.message, /WRONGPASS/);
  const cause = error.cause as (Error & { command?: { name?: string; args?: unknown[] } }) | undefined;
  assert.ok(cause instanceof Error, `the cause is gone: ${String(cause)}`);
  assert.match(cause.message, /WRONGPASS/);
  assert.equal(cause.command?.name, 'hello');
  assert.deepEqual(cause.command?.args?.slice(0, 2), ['3', 'AUTH']);
}

describe('passwords never reach an error or a log line (standalone)', () => {
  let server: RedisServer;
  const endpoint = () => `${server.host}:${server.port}`;

  before(async () => {
    server = await RedisServer.start({ args: ['--requirepass', RIGHT_PASSWORD], password: RIGHT_PASSWORD });
    assert.equal(await server.cli('ACL', 'SETUSER', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '+@all'), 'OK');
  });

  after(async () => {
    await server?.dispose();
  });

  it('a wrong RedisOptions.password: held nowhere (properties, inspect, JSON, logs)', async () => {
    const error = await assertStartupFailsWithoutSecret(
      { redis: { host: server.host, port: server.port, password: WRONG.option } },
      [WRONG.option],
      endpoint(),
    );
    assertReasonKept(error);
  });

  it('a wrong password of an ACL user given as RedisOptions: held nowhere', async () => {
    const error = await assertStartupFailsWithoutSecret(
      { redis: { host: server.host, port: server.port, username: ACL_USER, password: WRONG.aclOption } },
      [WRONG.aclOption],
      endpoint(),
    );
    assertReasonKept(error);
    // The user name is no secret, and tells which account failed.
    assert.equal((error.cause as { command: { args: unknown[] } }).command.args[2], ACL_USER);
  });

  it('a wrong password in a URL, with or without a user, percent-encoded: held nowhere in either form', async () => {
    for (const [url, secrets] of [
      [`redis://:${WRONG.urlPasswordOnly}@${endpoint()}`, [WRONG.urlPasswordOnly]],
      [`redis://${ACL_USER}:${WRONG.urlWithUser}@${endpoint()}`, [WRONG.urlWithUser]],
      [
        `redis://${ACL_USER}:${encodeURIComponent(WRONG.urlEncoded)}@${endpoint()}`,
        [WRONG.urlEncoded, encodeURIComponent(WRONG.urlEncoded)],
      ],
    ] as const) {
      assertReasonKept(await assertStartupFailsWithoutSecret({ redis: url }, [...secrets], endpoint()));
    }
  });

  it("a borrowed client with a wrong password: held nowhere; the app's own error objects left intact", async () => {
    const client = new Redis({
      host: server.host,
      port: server.port,
      password: WRONG.borrowed,
      lazyConnect: true,
      retryStrategy: () => 200,
    });
    const seenByApp: Array<Error & { command?: { name: string; args: unknown[] } }> = [];
    client.on('error', (error) => seenByApp.push(error));
    try {
      assertReasonKept(await assertStartupFailsWithoutSecret({ client }, [WRONG.borrowed], endpoint()));
      // The library copied what it hands out; what ioredis gave the app still says what was sent.
      const hello = seenByApp.find((error) => error.command?.name === 'hello');
      assert.ok(hello, `the app saw: ${seenByApp.map((error) => error.message).join('; ')}`);
      assert.deepEqual(hello.command?.args, ['3', 'AUTH', 'default', WRONG.borrowed]);
    } finally {
      client.disconnect();
    }
  });

  it('a wrong sentinelPassword (a password-protected Redis standing in for the Sentinel): held nowhere', async () => {
    await assertStartupFailsWithoutSecret(
      {
        redis: {
          sentinels: [{ host: server.host, port: server.port }],
          name: 'mymaster',
          sentinelPassword: WRONG.sentinel,
        },
      },
      [WRONG.sentinel],
    );
  });

  it('at run time, a password changed on the server: no failing call or log line holds the old one', async () => {
    const runtimeUser = 'rotated';
    const oldPassword = 'oldRuntimePw-4e81c9';
    assert.equal(await server.cli('ACL', 'SETUSER', runtimeUser, 'on', `>${oldPassword}`, '~*', '+@all'), 'OK');
    const logger = new CapturingLogger();
    const moduleRef: TestingModule = await bootStatefulModule(
      { redis: `redis://${runtimeUser}:${oldPassword}@${endpoint()}`, commandTimeoutMs: 500, connectTimeoutMs: 1_000 },
      { logger },
    );
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setLinkedPod('leak', 'u', 'svc', 1, -1);
      // The password rotates, the connection drops: every reconnect's HELLO is refused.
      assert.equal(await server.cli('ACL', 'SETUSER', runtimeUser, 'resetpass', '>newRuntimePw-77a0d3'), 'OK');
      await server.cli('CLIENT', 'KILL', 'USER', runtimeUser);
      const errors: StatefulError[] = [];
      await eventually(
        'calls to fail with the refused reconnects',
        async () => {
          for (const call of [
            () => service.getLinkedPod('leak', 'u', 'svc'),
            () => service.setLinkedPod('leak', 'u', 'svc', 2, -1),
            () => service.batchGetLinkedPod('leak', ['u', 'v'], 'svc'),
            () => service.getLinkService('leak', 'u'),
          ]) {
            errors.push((await failure(call)).error);
          }
          assert.ok(errors.length >= 8, 'collecting failures');
        },
        10_000,
      );
      // Commands queued behind the refused handshake get its WRONGPASS reply (and its HELLO command).
      const messages = errors.map((error) => error.message);
      assert.ok(
        messages.some((message) => /WRONGPASS/.test(message)),
        messages.join('\n'),
      );
      for (const error of errors) {
        assert.ok(Object.values(ErrorCode).includes(error.code), error.message);
        assertSecretNowhere(error, oldPassword, logger);
      }
    } finally {
      await moduleRef.close();
    }
    assertSecretNowhere(undefined, oldPassword, logger);
  });

  it('the exception filter neither answers nor logs the password of a startup error', async () => {
    const error = await assertStartupFailsWithoutSecret(
      { redis: { host: server.host, port: server.port, password: WRONG.option } },
      [WRONG.option],
    );
    const logged: unknown[] = [];
    const capture = (...parts: unknown[]) => void logged.push(...parts);
    const levels = ['log', 'warn', 'error', 'debug', 'verbose', 'fatal'] as const;
    Logger.overrideLogger(Object.fromEntries(levels.map((level) => [level, capture])) as never);
    const { host, sent } = recordingHttpHost();
    try {
      new StatefulErrorFilter().catch(error, host);
    } finally {
      Logger.overrideLogger(false);
    }
    assert.equal(sent.status, 503);
    const body = { statusCode: 503, code: ErrorCode.REDIS_CONNECTION_ERROR, message: 'Redis is unreachable' };
    assert.deepEqual(sent.body, body);
    // The log line keeps the reason and the endpoint for the operator.
    const logText = logged.map(String).join('\n');
    assert.match(logText, /REDIS_CONNECTION_ERROR: Cannot connect to Redis at .*WRONGPASS/);
    assertSecretNowhere(logged, WRONG.option);
  });
});

describe('passwords never reach an error (TLS)', () => {
  let server: RedisServer;
  let tlsPort: number;
  let certs: TestCertificates;

  before(async () => {
    ({ server, tlsPort, certs } = await startTlsRedis());
    assert.equal(await server.cli('ACL', 'SETUSER', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '+@all'), 'OK');
  });

  after(async () => {
    await server?.dispose();
  });

  it('a wrong password over TLS, as options and as a rediss:// URL: held nowhere', async () => {
    const endpoint = `127.0.0.1:${tlsPort}`;
    assertReasonKept(
      await assertStartupFailsWithoutSecret(
        { redis: { host: '127.0.0.1', port: tlsPort, tls: { ca: certs.ca }, username: ACL_USER, password: WRONG.tls } },
        [WRONG.tls],
        endpoint,
      ),
    );
    // The CA goes with the rediss:// URL as an ioredis option; the module takes a URL alone, so the client is borrowed.
    const url = `rediss://${ACL_USER}:${WRONG.tlsUrl}@${endpoint}`;
    const client = new Redis(url, { tls: { ca: certs.ca }, lazyConnect: true });
    client.on('error', () => undefined);
    try {
      assertReasonKept(await assertStartupFailsWithoutSecret({ client }, [WRONG.tlsUrl], endpoint));
    } finally {
      client.disconnect();
    }
  });
});

describe('passwords never reach an error (cluster)', () => {
  let cluster: RedisCluster;

  before(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    for (const node of cluster.all) {
      assert.equal(await node.cli('ACL', 'SETUSER', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '+@all'), 'OK');
    }
  });

  after(async () => {
    await cluster?.dispose();
  });

  it("a wrong password in the cluster's redisOptions: held nowhere, however deep (lastNodeError)", async () => {
    await assertStartupFailsWithoutSecret(
      { cluster: { nodes: cluster.nodes, options: { redisOptions: { username: ACL_USER, password: WRONG.cluster } } } },
      [WRONG.cluster],
      `${cluster.nodes[0].host}:${cluster.nodes[0].port}`,
    );
  });
});
