import { TerminusModule } from '@nestjs/terminus';
import { Test, TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ErrorCode,
  NO_POD,
  StatefulError,
  StatefulExecutorService,
  StatefulRedisHealthIndicator,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../../lib';
import { SCRIPT_COMMANDS } from '../../../lib/core/errors/redis-error.mapper';
import { LUA_DIRECTORY } from '../../harness/lua-files';
import { RedisCluster } from '../../harness/redis-cluster';
import { RedisServer } from '../../harness/redis-server';
import { CapturingLogger } from '../../harness/capturing-logger';
import { bootStatefulModule } from '../../harness/stateful-app';

const PASSWORD = 'aclPw-7f3c9e2b1d';
const USER = 'sfapp';

/**
 * The minimal ACL the README documents: the library's keys only, the commands it sends itself
 * (scripts by SHA, loading them, plain reads and the workload write, the health PING and the
 * connect-time INFO of ioredis), and every command its scripts call; on a cluster also what
 * ioredis's cluster client sends (CLUSTER SLOTS, CLUSTER INFO, CLIENT SETNAME) and CLUSTER NODES (a walk of the
 * keyspace fails while a slot is migrating).
 */
function minimalAcl(options: { prefix?: string; without?: string[]; cluster?: boolean } = {}): string[] {
  const commands = [
    'evalsha',
    'eval',
    'script|load',
    'script|exists',
    'get',
    'mget',
    'set',
    'ping',
    'info',
    // removePodLinks and findServices walk the keyspace of every master.
    'scan',
    ...SCRIPT_COMMANDS.map((command) => command.toLowerCase()),
    // ioredis's cluster client: the slot map, the cluster's state, and the name of its refresh connection; the
    // slots migrating at the end of a walk of the keyspace.
    ...(options.cluster ? ['cluster|slots', 'cluster|info', 'client|setname', 'cluster|nodes'] : []),
  ];
  const granted = [...new Set(commands)].filter((command) => !options.without?.includes(command));
  return [
    'reset',
    'on',
    `>${PASSWORD}`,
    `~${options.prefix ?? 'sf'}:*`,
    'resetchannels',
    '-@all',
    ...granted.map((command) => `+${command}`),
  ];
}

function startApp(options: StatefulRedisModuleOptions, logger: CapturingLogger): Promise<TestingModule> {
  return bootStatefulModule(options, { imports: [TerminusModule], logger });
}

async function failure(action: () => Promise<unknown>): Promise<StatefulError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof StatefulError, `expected a StatefulError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** Every operation once, as an app would call them; returns the texts of nothing (throws on failure). */
async function exerciseEverything(service: StatefulExecutorService): Promise<void> {
  await service.setServiceState('acl', 'svc', 0, 'running');
  await service.setServiceState('acl', 'svc', 1, 'running');
  await service.setPodWeight('acl', 'svc', 1, 5);
  assert.deepEqual(await service.getServiceState('acl', 'svc'), { 0: 'running', 1: 'running' });
  await service.setWorkloadState('acl', 'svc', 'stable');
  assert.deepEqual(await service.getWorkloadState('acl', ['svc', 'none']), { svc: 'stable' });
  assert.equal(await service.computeLinkedPodIfAbsent('acl', 'new', 'svc', -1), 0);
  assert.equal(await service.setLinkedPod('acl', 'u', 'svc', 1, -1), NO_POD);
  assert.deepEqual(await service.trySetLinkedPod('acl', 'u', 'svc', 0, -1), { success: false, podId: 1 });
  assert.equal(await service.setLinkedPodIfAbsent('acl', 'u', 'chat', 2, 60), 2);
  assert.equal(await service.getLinkedPodIfPersist('acl', 'u', 'svc'), 1);
  assert.deepEqual(await service.getLinkService('acl', 'u'), { svc: 1, chat: 2 });
  assert.deepEqual(await service.batchGetLinkedPod('acl', ['u', 'new', 'nobody'], 'svc'), { 0: ['new'], 1: ['u'] });
  assert.equal(await service.removeLinkedPod('acl', 'u', 'chat', 30), true);
  assert.equal(await service.removeLinkedPodWithId('acl', 'u', 'svc', 0, 1), true);
  assert.equal(await service.removeLinkedPod('acl', 'u', 'chat', 0), true);
  // Pod lifecycle: liveness, batch pod reports, the dashboard's reads and the sweep.
  await service.heartbeat('acl', 'svc', 0);
  assert.deepEqual(
    (await service.getPods('acl', 'svc')).map((pod) => [pod.podId, pod.state, pod.live]),
    [
      [0, 'running', true],
      [1, 'running', true],
    ],
  );
  await service.batchSetServiceState('acl', { svc: { 2: 'running' }, chat: { 0: 'draining' } });
  assert.deepEqual(await service.batchGetServiceState('acl', ['chat', 'none']), { chat: { 0: 'draining' } });
  assert.deepEqual(await service.findServices('acl'), [
    { namespace: 'acl', serviceName: 'chat' },
    { namespace: 'acl', serviceName: 'svc' },
  ]);
  assert.deepEqual(await service.getUserLinks('acl', 'new'), [{ serviceName: 'svc', podId: 0, ttlMs: null }]);
  assert.equal(await service.removePodLinks('acl', 'svc', 0), 1);
  await service.removePod('acl', 'svc', 1);
}

describe('Redis ACL (standalone)', () => {
  let server: RedisServer;
  const logger = new CapturingLogger();
  const errorTexts: string[] = [];
  const url = () => `redis://${USER}:${PASSWORD}@${server.host}:${server.port}`;

  before(async () => {
    server = await RedisServer.start();
  });

  after(async () => {
    // Whatever happened in this suite, the password reached neither a log line nor an error.
    const all = `${logger.allText()}\n${errorTexts.join('\n')}`;
    assert.ok(!all.includes(PASSWORD), `the password leaked:\n${all}`);
    await server?.dispose();
  });

  async function setAcl(rules: string[]): Promise<void> {
    await server.cli('FLUSHALL');
    assert.equal(await server.cli('ACL', 'SETUSER', USER, ...rules), 'OK');
    await server.cli('ACL', 'LOG', 'RESET');
  }

  function record(error: StatefulError): StatefulError {
    errorTexts.push(error.message, String(error.stack), String((error.cause as Error | undefined)?.message));
    return error;
  }

  it('the documented command list covers every command the Lua scripts call, and no more', () => {
    const dir = LUA_DIRECTORY;
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(dir, f))
      .filter((f) => f.endsWith('.lua'));
    const called = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:rcall|redis\.p?call)\('([A-Za-z]+)'/g))
        called.add(match[1].toUpperCase());
    }
    assert.deepEqual([...called].sort(), [...SCRIPT_COMMANDS].sort());
  });

  it('a user limited to ~sf:* and the minimal commands runs every operation, the health check and shutdown; Redis denies nothing', async () => {
    await setAcl(minimalAcl());
    const moduleRef = await startApp({ redis: url() }, logger);
    try {
      await exerciseEverything(moduleRef.get(StatefulExecutorService));
      const health = await moduleRef.get(StatefulRedisHealthIndicator).isHealthy('redis');
      assert.equal(health.redis.status, 'up', JSON.stringify(health));
      assert.equal(health.redis.scriptsLoaded, true);
    } finally {
      await moduleRef.close();
    }
    assert.equal(await server.cli('ACL', 'LOG'), '', 'Redis logged an ACL denial');
  });

  it('keys outside the allowed pattern (another keyPrefix): REDIS_OPERATION_ERROR with NOPERM, naming the operation; nothing written', async () => {
    await setAcl(minimalAcl());
    const moduleRef = await startApp({ redis: url(), keyPrefix: 'other', commandTimeoutMs: 1_000 }, logger);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      for (const [operation, call] of [
        ['setLinkedPod', () => service.setLinkedPod('acl', 'u', 'svc', 1, -1)],
        ['getLinkedPod', () => service.getLinkedPod('acl', 'u', 'svc')],
        ['batchGetLinkedPod', () => service.batchGetLinkedPod('acl', ['u', 'v'], 'svc')],
        ['setWorkloadState', () => service.setWorkloadState('acl', 'svc', 'x')],
        ['computeLinkedPodIfAbsent', () => service.computeLinkedPodIfAbsent('acl', 'u', 'svc', -1)],
      ] as const) {
        const error = record(await failure(call));
        assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR, error.message);
        assert.equal(error.operation, operation);
        assert.match(error.message, new RegExp(`^${operation}\\(.*NOPERM.*key`), error.message);
      }
    } finally {
      await moduleRef.close();
    }
    assert.equal(await server.cli('DBSIZE'), '0');
  });

  it('a command the scripts need is missing (HINCRBY, DEL): REDIS_OPERATION_ERROR that says the ACL lacks a script command and lists them', async () => {
    await setAcl(minimalAcl({ without: ['hincrby', 'del'] }));
    const moduleRef = await startApp({ redis: url() }, logger);
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await service.setServiceState('acl', 'svc', 0, 'running');
      for (const call of [
        () => service.computeLinkedPodIfAbsent('acl', 'fresh', 'svc', -1),
        () => service.removeLinkedPod('acl', 'fresh', 'svc', 0),
      ]) {
        const error = record(await failure(call));
        assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR, error.message);
        assert.match(error.message, /can't run this command/);
        const hint = `ACL user lacks a command of the library's Lua scripts; they need ${SCRIPT_COMMANDS.join(' ')})`;
        assert.ok(error.message.endsWith(hint), error.message);
        assert.ok(
          SCRIPT_COMMANDS.includes('HINCRBY') && SCRIPT_COMMANDS.includes('DEL'),
          'the list names the denied commands',
        );
      }
      // What the ACL allows keeps working.
      assert.equal(await service.setLinkedPod('acl', 'other', 'svc', 3, -1), NO_POD);
    } finally {
      await moduleRef.close();
    }
    assert.match(await server.cli('ACL', 'LOG', '1'), /hincrby|del/);
  });

  it('a plain command missing (SET for the workload state): REDIS_OPERATION_ERROR with NOPERM naming the command', async () => {
    await setAcl(minimalAcl({ without: ['set'] }));
    const moduleRef = await startApp({ redis: url() }, logger);
    try {
      const error = record(
        await failure(() => moduleRef.get(StatefulExecutorService).setWorkloadState('acl', 'svc', 'x')),
      );
      assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR);
      assert.match(error.message, /NOPERM.*'set' command/);
    } finally {
      await moduleRef.close();
    }
  });

  it('a wrong password: startup fails with a clear error that shows neither password', async () => {
    await setAcl(minimalAcl());
    const moduleRef = await Test.createTestingModule({
      imports: [
        StatefulRedisModule.forRoot({
          redis: `redis://${USER}:not-${PASSWORD}@${server.host}:${server.port}`,
          connectTimeoutMs: 2_000,
        }),
      ],
    })
      .setLogger(logger)
      .compile();
    const error = record(await failure(() => moduleRef.init()));
    await moduleRef.close();
    assert.match(error.message, /WRONGPASS|invalid username-password/i);
    assert.ok(error.message.includes(`${server.host}:${server.port}`), error.message);
  });
});

describe('Redis ACL (cluster)', () => {
  let cluster: RedisCluster;
  const logger = new CapturingLogger();

  before(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  });

  after(async () => {
    assert.ok(!logger.allText().includes(PASSWORD), logger.allText());
    await cluster?.dispose();
  });

  it('the same ACL plus CLUSTER SLOTS / CLUSTER INFO / CLIENT SETNAME / CLUSTER NODES, set on every node, runs every operation across slots', async () => {
    // ACL users are per node: a cluster needs the user on each.
    for (const node of cluster.all)
      assert.equal(await node.cli('ACL', 'SETUSER', USER, ...minimalAcl({ cluster: true })), 'OK');
    const moduleRef = await startApp(
      { cluster: { nodes: cluster.nodes, options: { redisOptions: { username: USER, password: PASSWORD } } } },
      logger,
    );
    try {
      const service = moduleRef.get(StatefulExecutorService);
      await exerciseEverything(service);
      const uids = Array.from({ length: 300 }, (_, i) => `spread-${i}`);
      await Promise.all(uids.map((uid, i) => service.setLinkedPod('acl', uid, 'svc', i % 3, -1)));
      const grouped = await service.batchGetLinkedPod('acl', uids, 'svc');
      assert.equal(Object.values(grouped).flat().length, 300);
      const health = await moduleRef.get(StatefulRedisHealthIndicator).isHealthy('redis');
      assert.equal(health.redis.status, 'up', JSON.stringify(health));
      assert.equal(health.redis.scriptsLoaded, true);
    } finally {
      await moduleRef.close();
    }
    for (const master of await cluster.masters())
      assert.equal(await master.cli('ACL', 'LOG'), '', `node ${master.port} denied something`);
  });
});
