import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ErrorCode, NO_POD, StatefulExecutorService } from '../../../lib';
import { RedisServer } from '../../harness/redis-server';
import { eventually } from '../../harness/wait';
import { bootStatefulModule, compileStatefulModule, failure } from '../../harness/stateful-app';

const MARGIN_MS = 5_000;
const CONNECTION_OR_TIMEOUT: string[] = [ErrorCode.REDIS_CONNECTION_ERROR, ErrorCode.TIMEOUT];

/** One call of every kind of Redis access: plain GET, SET, MGET, and scripts on the uid and on the service slot. */
function callsOfEveryKind(service: StatefulExecutorService): Array<[string, () => Promise<unknown>]> {
  return [
    ['getLinkedPod', () => service.getLinkedPod('ns', 'u', 'svc')],
    ['setWorkloadState', () => service.setWorkloadState('ns', 'svc', 'live')],
    ['batchGetLinkedPod', () => service.batchGetLinkedPod('ns', ['u', 'v'], 'svc')],
    ['setLinkedPod', () => service.setLinkedPod('ns', 'u', 'svc', 1, -1)],
    ['getServiceState', () => service.getServiceState('ns', 'svc')],
    ['computeLinkedPodIfAbsent', () => service.computeLinkedPodIfAbsent('ns', 'new-user', 'svc', -1)],
  ];
}

/** Every call fails with REDIS_CONNECTION_ERROR or TIMEOUT naming its operation, within the bound (no hang). */
async function assertEveryCallFails(
  service: StatefulExecutorService,
  boundMs: number,
  codes = CONNECTION_OR_TIMEOUT,
): Promise<void> {
  for (const [operation, call] of callsOfEveryKind(service)) {
    const { error, elapsedMs } = await failure(call);
    assert.ok(codes.includes(error.code), `${operation}: unexpected ${error.code}: ${error.message}`);
    assert.ok(error.message.startsWith(`${operation}(`), error.message);
    assert.equal(error.operation, operation);
    assert.ok(elapsedMs < boundMs, `${operation} took ${elapsedMs} ms (bound ${boundMs} ms)`);
  }
}

/** Link operations that need their scripts, checked against Redis itself. */
async function assertLinkOperationsWork(
  service: StatefulExecutorService,
  server: RedisServer,
  uid: string,
): Promise<void> {
  assert.equal(await service.setLinkedPod('ns', uid, 'svc', 2, -1), NO_POD);
  assert.deepEqual(await service.trySetLinkedPod('ns', uid, 'svc', 3, -1), { success: false, podId: 2 });
  assert.equal(await service.setLinkedPodIfAbsent('ns', uid, 'svc2', 7, 60), 7);
  assert.deepEqual(await service.getLinkService('ns', uid), { svc: 2, svc2: 7 });
  assert.equal(await service.getLinkedPodIfPersist('ns', uid, 'svc'), 2);
  assert.equal(await service.removeLinkedPodWithId('ns', uid, 'svc2', 0, 7), true);
  assert.equal(await server.cli('GET', `sf:{ns:lk:${uid}}svc`), '2');
  assert.equal(await server.cli('HGET', `sf:{ns:lk:${uid}}`, 'svc'), '2');
  assert.equal(await server.cli('EXISTS', `sf:{ns:lk:${uid}}svc2`), '0');
}

describe('Redis lost at runtime (owned connection)', () => {
  let server: RedisServer;
  let moduleRef: TestingModule;
  let service: StatefulExecutorService;
  const commandTimeoutMs = 1_000;

  before(async () => {
    server = await RedisServer.start();
    moduleRef = await bootStatefulModule({ redis: server.url, commandTimeoutMs });
    service = moduleRef.get(StatefulExecutorService);
  });

  after(async () => {
    await moduleRef?.close();
    await server?.dispose();
  });

  for (const how of ['stop', 'kill'] as const) {
    it(`after ${how}: calls fail fast with REDIS_CONNECTION_ERROR or TIMEOUT, then heal by themselves once Redis is back empty`, async () => {
      const uid = `before-${how}`;
      await assertLinkOperationsWork(service, server, uid);
      await server[how]();
      await assertEveryCallFails(service, commandTimeoutMs + MARGIN_MS);
      // Still failing, not hanging, on a second round (the reconnect loop is running meanwhile).
      await assertEveryCallFails(service, commandTimeoutMs + MARGIN_MS);
      await server.start();
      // The restarted Redis is empty: no data, no scripts.
      assert.equal(await server.cli('DBSIZE'), '0');
      assert.equal(
        await eventually('calls to succeed again', () => service.getLinkedPod('ns', uid, 'svc'), 20_000),
        NO_POD,
      );
      await assertLinkOperationsWork(service, server, `after-${how}`);
      await assertLinkOperationsWork(service, server, uid);
    });
  }

  it('after SCRIPT FLUSH every script-backed operation still works (NOSCRIPT healed)', async () => {
    await server.cli('FLUSHALL');
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    // One call per script, each on a flushed cache.
    await service.setServiceState('ns', 'sf', 0, 'running'); // statefulSetState
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.deepEqual(await service.getServiceState('ns', 'sf'), { 0: 'running' }); // statefulGetService
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    await service.setPodWeight('ns', 'sf', 0, 5); // statefulSetState
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    // statefulGetServicePod + statefulComputeLinkIfAbsent + statefulSetState
    assert.equal(await service.computeLinkedPodIfAbsent('ns', 'c', 'sf', -1), 0);
    assert.equal(await server.cli('HGET', 'sf:{ns:state:sf}weight', '0'), '6');
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await service.setLinkedPod('ns', 'u', 'sf', 1, -1), NO_POD); // statefulSetLink
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.deepEqual(await service.trySetLinkedPod('ns', 'u', 'sf', 2, -1), { success: false, podId: 1 }); // statefulTrySetLink
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await service.setLinkedPodIfAbsent('ns', 'u', 'other', 3, 60), 3); // statefulSetLinkIfAbsent
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await service.getLinkedPodIfPersist('ns', 'u', 'sf'), 1); // statefulGetLinkIfPersist
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.deepEqual(await service.getLinkService('ns', 'u'), { sf: 1, other: 3 }); // statefulGetLinkService
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await service.removeLinkedPodWithId('ns', 'u', 'other', 0, 3), true); // statefulRemoveLinkWithId
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    assert.equal(await service.removeLinkedPod('ns', 'u', 'sf', 0), true); // statefulRemoveLink
    assert.equal(await server.cli('SCRIPT', 'FLUSH'), 'OK');
    await service.removePod('ns', 'sf', 0); // statefulSetState
    assert.equal(await server.cli('EXISTS', 'sf:{ns:lk:u}', 'sf:{ns:lk:u}sf', 'sf:{ns:lk:u}other'), '0');
    assert.deepEqual(await service.getServiceState('ns', 'sf'), {});
  });

  it('CLIENT PAUSE longer than commandTimeoutMs gives TIMEOUT, then calls work again', async () => {
    const pausedModule = await bootStatefulModule({ redis: server.url, commandTimeoutMs: 500 });
    const paused = pausedModule.get(StatefulExecutorService);
    try {
      await paused.setLinkedPod('ns', 'p', 'svc', 1, -1);
      assert.equal(await server.cli('CLIENT', 'PAUSE', '3000', 'ALL'), 'OK');
      try {
        for (const call of [
          () => paused.getLinkedPod('ns', 'p', 'svc'),
          () => paused.setLinkedPod('ns', 'p', 'svc', 2, -1),
        ]) {
          const { error, elapsedMs } = await failure(call);
          assert.equal(error.code, ErrorCode.TIMEOUT, error.message);
          // Well before the pause ends: the timeout answered, not Redis.
          assert.ok(elapsedMs < 2_800, `took ${elapsedMs} ms`);
        }
      } finally {
        await server.cli('CLIENT', 'UNPAUSE');
      }
      // A timed-out write may still have run (the spec's idempotence rule): retrying gives the same end state.
      await eventually('calls to work after the pause', () => paused.setLinkedPod('ns', 'p', 'svc', 2, -1), 20_000);
      assert.equal(await paused.getLinkedPod('ns', 'p', 'svc'), 2);
    } finally {
      await pausedModule.close();
    }
  });
});

describe('Redis lost at runtime (borrowed client without its own timeouts)', () => {
  let server: RedisServer;
  let client: Redis;
  let moduleRef: TestingModule;
  let service: StatefulExecutorService;
  const commandTimeoutMs = 800;

  before(async () => {
    server = await RedisServer.start();
    // ioredis defaults: offline queue, 20 retries per request, no command timeout.
    client = new Redis(server.port, server.host);
    moduleRef = await bootStatefulModule({ client, commandTimeoutMs });
    service = moduleRef.get(StatefulExecutorService);
  });

  after(async () => {
    await moduleRef?.close();
    client?.disconnect();
    await server?.dispose();
  });

  it('CLIENT PAUSE: the library bounds the call itself with TIMEOUT', async () => {
    await service.setLinkedPod('ns', 'b', 'svc', 1, -1);
    assert.equal(await server.cli('CLIENT', 'PAUSE', '3000', 'ALL'), 'OK');
    try {
      const { error, elapsedMs } = await failure(() => service.getLinkedPod('ns', 'b', 'svc'));
      assert.equal(error.code, ErrorCode.TIMEOUT, error.message);
      assert.ok(elapsedMs < 2_800, `took ${elapsedMs} ms`);
    } finally {
      await server.cli('CLIENT', 'UNPAUSE');
    }
    assert.equal(await eventually('calls after the pause', () => service.getLinkedPod('ns', 'b', 'svc'), 20_000), 1);
  });

  it('Redis stopped: calls never hang, and heal after the restart', async () => {
    await server.stop();
    await assertEveryCallFails(service, commandTimeoutMs + MARGIN_MS);
    await server.start();
    assert.equal(
      await eventually('calls to succeed again', () => service.getLinkedPod('ns', 'b', 'svc'), 20_000),
      NO_POD,
    );
    await assertLinkOperationsWork(service, server, 'borrowed-after');
  });
});

describe('NOT_INITIALIZED', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(async () => {
    await server?.dispose();
  });

  it('before init(): every operation rejects with NOT_INITIALIZED and sends nothing to Redis', async () => {
    const moduleRef = await compileStatefulModule({ redis: server.url });
    try {
      const service = moduleRef.get(StatefulExecutorService);
      for (const [operation, call] of [
        ...callsOfEveryKind(service),
        ['getLinkService', () => service.getLinkService('ns', 'u')],
        ['removePod', () => service.removePod('ns', 'svc', 1)],
        ['getWorkloadState', () => service.getWorkloadState('ns', ['svc'])],
      ] as Array<[string, () => Promise<unknown>]>) {
        const { error } = await failure(call);
        assert.equal(error.code, ErrorCode.NOT_INITIALIZED, `${operation}: ${error.message}`);
        assert.equal(error.operation, operation);
        assert.match(error.message, /not initialized/);
      }
      assert.equal(await server.cli('DBSIZE'), '0');
      // Argument validation still comes first.
      const { error } = await failure(() => service.getLinkedPod('n:s', 'u', 'svc'));
      assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
      // Once initialised, the same instance works.
      await moduleRef.init();
      assert.equal(await service.setLinkedPod('ns', 'u', 'svc', 1, -1), NO_POD);
    } finally {
      await moduleRef.close();
    }
  });

  it('after app.close(): every operation rejects with NOT_INITIALIZED', async () => {
    const moduleRef = await bootStatefulModule({ redis: server.url });
    const service = moduleRef.get(StatefulExecutorService);
    await service.setLinkedPod('ns', 'closed', 'svc', 1, -1);
    await moduleRef.close();
    for (const [operation, call] of callsOfEveryKind(service)) {
      const { error, elapsedMs } = await failure(call);
      assert.equal(error.code, ErrorCode.NOT_INITIALIZED, `${operation}: ${error.message}`);
      assert.match(error.message, /shut down/);
      assert.ok(elapsedMs < MARGIN_MS);
    }
    assert.equal(await server.cli('GET', 'sf:{ns:lk:closed}svc'), '1');
  });
});

describe('errors Redis answers with', () => {
  let server: RedisServer;
  let moduleRef: TestingModule;
  let service: StatefulExecutorService;

  before(async () => {
    server = await RedisServer.start();
    moduleRef = await bootStatefulModule({ redis: server.url });
    service = moduleRef.get(StatefulExecutorService);
  });

  beforeEach(async () => {
    await server.cli('FLUSHALL');
  });

  afterEach(async () => {
    await server.cli('FLUSHALL');
  });

  after(async () => {
    await moduleRef?.close();
    await server?.dispose();
  });

  it('a Lua runtime error (WRONGTYPE inside a script) maps to LUA_SCRIPT_ERROR naming the operation and inputs', async () => {
    await server.cli('SET', 'sf:{ns:lk:u}', 'not-a-hash');
    for (const [operation, call] of [
      ['getLinkService', () => service.getLinkService('ns', 'u')],
      ['setLinkedPod', () => service.setLinkedPod('ns', 'u', 'svc', 1, -1)],
      [
        'removeLinkedPod',
        async () => {
          await server.cli('SET', 'sf:{ns:lk:u}svc', '1');
          return service.removeLinkedPod('ns', 'u', 'svc', 0);
        },
      ],
    ] as Array<[string, () => Promise<unknown>]>) {
      const { error } = await failure(call);
      assert.equal(error.code, ErrorCode.LUA_SCRIPT_ERROR, `${operation}: ${error.message}`);
      assert.equal(error.operation, operation);
      assert.ok(error.message.startsWith(`${operation}(`), error.message);
      assert.match(error.message, /uid="u"/);
      assert.match(error.message, /WRONGTYPE/);
      assert.ok(error.cause instanceof Error);
    }
    // The pod-state hash of a service, written as a string by someone else.
    await server.cli('SET', 'sf:{ns:state:svc}', 'oops');
    const { error } = await failure(() => service.getServiceState('ns', 'svc'));
    assert.equal(error.code, ErrorCode.LUA_SCRIPT_ERROR);
    assert.match(error.message, /serviceName="svc"/);
  });

  it('a plain command answered with an error maps to REDIS_OPERATION_ERROR', async () => {
    await server.cli('HSET', 'sf:{ns:lk:u}svc', 'a', 'b');
    const { error } = await failure(() => service.getLinkedPod('ns', 'u', 'svc'));
    assert.equal(error.code, ErrorCode.REDIS_OPERATION_ERROR, error.message);
    assert.match(error.message, /^getLinkedPod\(/);
    assert.match(error.message, /WRONGTYPE/);
  });

  it('keeps working normally after such errors', async () => {
    await server.cli('SET', 'sf:{ns:lk:u}', 'not-a-hash');
    await failure(() => service.getLinkService('ns', 'u'));
    await server.cli('DEL', 'sf:{ns:lk:u}');
    assert.equal(await service.setLinkedPod('ns', 'u', 'svc', 4, -1), NO_POD);
    assert.deepEqual(await service.getLinkService('ns', 'u'), { svc: 4 });
  });
});
