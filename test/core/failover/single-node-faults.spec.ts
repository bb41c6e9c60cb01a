import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, NO_POD, StatefulExecutorService, StatefulRedisHealthIndicator } from '../../../lib';
import { RedisConnection } from '../../../lib/core/connection/redis-connection';
import { ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';
import { RedisServer } from '../../harness/redis-server';
import { eventually, sleep } from '../../harness/wait';
import { failure, startStatefulApp, StatefulApp } from '../../harness/stateful-app';
import { LinkLoad } from './load';

const COMMAND_TIMEOUT_MS = 300;
const HEALTH_TIMEOUT_MS = 300;
/** Scheduling slack on a busy 2-core machine; the point is "bounded", not "exact". */
const MARGIN_MS = 1_500;
const SHAS = SCRIPT_NAMES.map((name) => ROUTING_SCRIPTS[name].sha);

/**
 * Every key of a namespace with its type, value and TTL (whole seconds, -1 none), names with the namespace replaced by
 * `<ns>`, the times of pod reports by `<Redis time>`.
 */
async function snapshot(raw: Redis, ns: string): Promise<Record<string, unknown>> {
  const keys = (await raw.keys(`sf:{${ns}:*`)).sort();
  const state: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await raw.type(key);
    let value: unknown = type === 'hash' ? await raw.hgetall(key) : await raw.get(key);
    // A pod report records its Redis time: a retried report is the same state, a moment later.
    if (key.endsWith('}seen'))
      value = Object.fromEntries(Object.keys(value as Record<string, string>).map((pod) => [pod, '<Redis time>']));
    const ttl = await raw.ttl(key);
    state[key.replace(`{${ns}:`, '{<ns>:')] = { type, value, ttl: ttl < 0 ? ttl : 'running' };
  }
  return state;
}

describe('single node: slow Redis, Redis restarted empty under load, lost replies', () => {
  let server: RedisServer;
  let app: StatefulApp;
  let other: StatefulApp;
  let service: StatefulExecutorService;
  let indicator: StatefulRedisHealthIndicator;
  let raw: Redis;

  before(async () => {
    server = await RedisServer.start();
    const options = {
      redis: server.url,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      healthCheckTimeoutMs: HEALTH_TIMEOUT_MS,
    };
    app = await startStatefulApp(options);
    other = await startStatefulApp(options);
    service = app.service;
    indicator = app.app.get(StatefulRedisHealthIndicator);
    raw = new Redis(server.port, server.host);
    raw.on('error', () => undefined); // down on purpose in the restart test
  });

  after(async () => {
    raw?.disconnect();
    await app?.close();
    await other?.close();
    await server?.dispose();
  });

  /**
   * Puts Redis to sleep with `DEBUG SLEEP seconds` on a connection of its own and returns once it
   * sleeps (a PING on another connection goes unanswered); `awake` resolves when it wakes up.
   */
  async function debugSleep(seconds: number): Promise<{ awake: Promise<unknown> }> {
    const sleeper = new Redis(server.port, server.host);
    const probe = new Redis(server.port, server.host);
    for (const client of [sleeper, probe]) client.on('error', () => undefined);
    await Promise.all([sleeper.ping(), probe.ping()]);
    const awake = sleeper.call('DEBUG', 'SLEEP', String(seconds)).finally(() => sleeper.disconnect());
    try {
      for (let attempt = 0; ; attempt++) {
        const answered = await Promise.race([probe.ping().then(() => true), sleep(50).then(() => false)]);
        if (!answered) return { awake };
        if (attempt > 40) throw new Error('Redis did not fall asleep');
      }
    } finally {
      probe.disconnect();
    }
  }

  it('DEBUG SLEEP: every kind of call fails with TIMEOUT within commandTimeoutMs, the indicator is down, then all works again', async (t) => {
    await service.setServiceState('slow', 'svc', 0, 'running');
    await service.setLinkedPod('slow', 'u', 'svc', 0, -1);
    const { awake } = await debugSleep(2);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['getLinkedPod', () => service.getLinkedPod('slow', 'u', 'svc')],
      ['setLinkedPod', () => service.setLinkedPod('slow', 'u', 'svc', 1, -1)],
      ['computeLinkedPodIfAbsent', () => service.computeLinkedPodIfAbsent('slow', 'v', 'svc', -1)],
      [
        'batchGetLinkedPod',
        () =>
          service.batchGetLinkedPod(
            'slow',
            Array.from({ length: 5_000 }, (_, i) => `u${i}`),
            'svc',
          ),
      ],
      ['getWorkloadState', () => service.getWorkloadState('slow', ['svc'])],
      ['getServiceState', () => service.getServiceState('slow', 'svc')],
      ['removeLinkedPod', () => other.service.removeLinkedPod('slow', 'u', 'svc', 0)],
    ];
    const outcomes = await Promise.all(calls.map(([, call]) => failure(call)));
    const started = Date.now();
    const health = await indicator.isHealthy('redis');
    const healthMs = Date.now() - started;
    for (const [i, { error, elapsedMs }] of outcomes.entries()) {
      assert.equal(error.code, ErrorCode.TIMEOUT, `${calls[i][0]}: ${error.message}`);
      assert.equal(error.operation, calls[i][0]);
      assert.ok(elapsedMs < COMMAND_TIMEOUT_MS + MARGIN_MS, `${calls[i][0]} took ${elapsedMs} ms`);
    }
    assert.equal(health.redis.status, 'down', JSON.stringify(health));
    assert.match(String(health.redis.message), /did not answer within 300 ms/);
    assert.ok(healthMs < HEALTH_TIMEOUT_MS + MARGIN_MS, `the health check took ${healthMs} ms`);
    t.diagnostic(
      `during DEBUG SLEEP 2: calls failed after ${outcomes.map((o) => o.elapsedMs).join(', ')} ms; health answered down in ${healthMs} ms`,
    );
    await awake;
    // Awake again; the timed-out writes have run meanwhile, in an order no caller knows.
    assert.ok(
      [0, 1, NO_POD].includes(await eventually('calls to work again', () => service.getLinkedPod('slow', 'u', 'svc'))),
    );
    assert.equal((await indicator.isHealthy('redis')).redis.status, 'up');
  });

  it('restarted empty under concurrent load: calls fail fast meanwhile, then succeed; scripts reloaded; links consistent', async (t) => {
    const uids = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    await service.setServiceState('restart', 'svc', 0, 'running');
    const load = new LinkLoad([service, other.service], { workers: 8, uids, namespace: 'restart', service: 'svc' });
    load.start();
    let downForMs: number | undefined;
    try {
      await sleep(500);
      assert.equal(load.summary().failures, 0);
      const killedAt = Date.now();
      await server.kill();
      await sleep(1_000);
      await server.start();
      downForMs = Date.now() - killedAt;
      // The restarted Redis has neither data nor scripts; the pods report their state again.
      await eventually('the pods to report again', () => service.setServiceState('restart', 'svc', 0, 'running'));
      await load.waitForSuccesses(Date.now(), 5, 15_000);
      const recoveredAt = Date.now();
      await sleep(1_000);
      await load.stop();
      const during = load.summary(killedAt);
      t.diagnostic(
        `killed, down ${downForMs} ms, restarted empty: calls failed for ${during.failingForMs} ms after the kill ` +
          `(${during.failures} of ${during.calls}: ${JSON.stringify(during.codes)}), longest call ${during.longestCallMs} ms`,
      );
      assert.deepEqual(load.unexpectedFailures([ErrorCode.REDIS_CONNECTION_ERROR, ErrorCode.TIMEOUT]).slice(0, 3), []);
      assert.deepEqual(load.misclassified().slice(0, 3), []);
      assert.ok(
        during.longestCallMs < COMMAND_TIMEOUT_MS + 2_000 + MARGIN_MS,
        `a call took ${during.longestCallMs} ms`,
      );
      assert.equal(load.summary(recoveredAt).failures, 0);
    } finally {
      await load.stop();
    }
    await eventually('every script reloaded into the empty Redis', async () => {
      assert.deepEqual(
        (await server.cli('SCRIPT', 'EXISTS', ...SHAS)).split('\n').map((f) => f.trim()),
        SHAS.map(() => '1'),
      );
    });
    const health = (await indicator.isHealthy('redis')).redis;
    assert.equal(health.status, 'up');
    assert.equal(health.scriptsLoaded, true);
    for (const uid of uids) {
      const links = await service.getLinkService('restart', uid);
      assert.equal(links.svc ?? NO_POD, await other.service.getLinkedPod('restart', uid, 'svc'), uid);
    }
  });

  /*
   * SPEC rule 4: a caller whose call timed out cannot tell whether it ran. Redis is put to sleep,
   * the call times out on the client, then Redis wakes up and runs it: the reply is lost but the
   * write happened. Retrying must end in the state one call gives (run on a reference namespace).
   */
  const writes: Array<{
    name: string;
    given?: (s: StatefulExecutorService, ns: string) => Promise<unknown>;
    call: (s: StatefulExecutorService, ns: string) => Promise<unknown>;
  }> = [
    {
      name: 'setLinkedPod (persistent over persistent)',
      given: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 1, -1),
      call: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 2, -1),
    },
    { name: 'setLinkedPod (temporary)', call: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 2, 300) },
    {
      name: 'trySetLinkedPod (over a temporary link)',
      given: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 1, 300),
      call: (s, ns) => s.trySetLinkedPod(ns, 'u', 'svc', 3, -1),
    },
    {
      name: 'setLinkedPodIfAbsent',
      given: (s, ns) => s.setLinkedPod(ns, 'u', 'other', 5, -1),
      call: (s, ns) => s.setLinkedPodIfAbsent(ns, 'u', 'svc', 4, 300),
    },
    {
      name: 'removeLinkedPod (now)',
      given: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 1, -1),
      call: (s, ns) => s.removeLinkedPod(ns, 'u', 'svc', 0),
    },
    {
      name: 'removeLinkedPod (linger)',
      given: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 1, -1),
      call: (s, ns) => s.removeLinkedPod(ns, 'u', 'svc', 300),
    },
    {
      name: 'removeLinkedPodWithId (linger)',
      given: (s, ns) => s.setLinkedPod(ns, 'u', 'svc', 6, -1).then(() => s.setLinkedPod(ns, 'u', 'other', 1, 200)),
      call: (s, ns) => s.removeLinkedPodWithId(ns, 'u', 'svc', 300, 6),
    },
    {
      name: 'setServiceState',
      given: (s, ns) => s.setServiceState(ns, 'svc', 0, 'running'),
      call: (s, ns) => s.setServiceState(ns, 'svc', 0, 'draining'),
    },
    { name: 'setWorkloadState', call: (s, ns) => s.setWorkloadState(ns, 'svc', 'scaling') },
    { name: 'setPodWeight', call: (s, ns) => s.setPodWeight(ns, 'svc', 0, 17) },
    {
      name: 'removePod',
      given: (s, ns) => s.setServiceState(ns, 'svc', 0, 'running').then(() => s.setPodWeight(ns, 'svc', 0, 3)),
      call: (s, ns) => s.removePod(ns, 'svc', 0),
    },
  ];

  for (const [index, write] of writes.entries()) {
    it(`rule 4, lost reply: ${write.name} timed out, ran anyway, retried: same end state as one call`, async () => {
      const reference = `ref${index}`;
      const lost = `lost${index}`;
      await write.given?.(service, reference);
      await write.given?.(service, lost);
      const before = await snapshot(raw, lost);
      await write.call(service, reference);
      const once = await snapshot(raw, reference);
      assert.notDeepEqual(once, before, 'the write should change something');

      const { awake } = await debugSleep(1);
      const { error } = await failure(() => write.call(service, lost));
      assert.equal(error.code, ErrorCode.TIMEOUT, error.message);
      await awake;
      // The reply was lost, yet Redis ran the call once it woke up.
      assert.deepEqual(
        await eventually(
          'the timed-out call to have run',
          async () => {
            const now = await snapshot(raw, lost);
            assert.deepEqual(now, once);
            return now;
          },
          3_000,
        ),
        once,
      );
      // The caller cannot know that and retries.
      await write.call(service, lost);
      assert.deepEqual(await snapshot(raw, lost), once);
    });
  }

  it('rule 4, lost reply of computeLinkedPodIfAbsent: the retry returns the same pod and leaves the same link (the weight is an estimate)', async (t) => {
    for (const ns of ['cref', 'clost']) {
      await service.setServiceState(ns, 'svc', 0, 'running');
      await service.setServiceState(ns, 'svc', 1, 'running');
    }
    const chosen = await service.computeLinkedPodIfAbsent('cref', 'u', 'svc', -1);
    // An app whose linking script is sent only once Redis sleeps: the quick steps before it are answered,
    // the link is made after its command timed out (no reliance on how slow a script is on this machine).
    const quick = await startStatefulApp({ redis: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    t.after(() => quick.close());
    const client = quick.app.get(RedisConnection).client as Redis;
    const linkSha = ROUTING_SCRIPTS.statefulComputeLinkIfAbsent.sha;
    const sendEvalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    let sleeping: Promise<{ awake: Promise<unknown> }> | undefined;
    const patchable = client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> };
    patchable.evalsha = async (...args: unknown[]) => {
      if (args[0] === linkSha && !sleeping) {
        sleeping = debugSleep(1);
        await sleeping;
      }
      return sendEvalsha(...args);
    };
    const { error, elapsedMs } = await failure(() => quick.service.computeLinkedPodIfAbsent('clost', 'u', 'svc', -1));
    assert.equal(error.code, ErrorCode.TIMEOUT, error.message);
    assert.ok(sleeping, 'the linking script was about to be sent');
    // The script runs on the server when it wakes up, although its caller gave up.
    const gaveUpAt = Date.now();
    await (
      await sleeping
    ).awake;
    const linked = await eventually(
      'the link script to run',
      async () => {
        const value = await raw.get('sf:{clost:lk:u}svc');
        assert.notEqual(value, null);
        return value;
      },
      10_000,
    );
    t.diagnostic(`the link script ran ${Date.now() - gaveUpAt} ms more after its caller gave up`);
    assert.equal(linked, String(chosen));
    assert.equal(await service.computeLinkedPodIfAbsent('clost', 'u', 'svc', -1), chosen);
    assert.deepEqual(await raw.hgetall('sf:{clost:lk:u}'), { svc: String(chosen) });
    assert.equal(await raw.ttl('sf:{clost:lk:u}svc'), -1);
    const weights = {
      once: await raw.hgetall('sf:{cref:state:svc}weight'),
      retried: await raw.hgetall('sf:{clost:state:svc}weight'),
    };
    t.diagnostic(
      `compute timed out after ${elapsedMs} ms; weights after one call ${JSON.stringify(weights.once)}, after the lost reply and a retry ${JSON.stringify(weights.retried)}`,
    );
    // Documented limit: the +1 is counted by the caller that saw the reply; with the reply lost nobody counts it.
    assert.deepEqual(weights.once, { [chosen]: '1' });
    assert.deepEqual(weights.retried, {});
  });
});
