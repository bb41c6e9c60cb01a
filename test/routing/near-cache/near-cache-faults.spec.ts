import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ErrorCode, NO_POD, StatefulError } from '../../../lib';
import { NearCache } from '../../../lib/routing/near-cache/near-cache';
import type { TrackingChannel } from '../../../lib/routing/near-cache/tracking-channel';
import { RedisServer } from '../../harness/redis-server';
import { pollUntil } from '../../harness/wait';
import { startStatefulApp, StatefulApp } from '../../harness/stateful-app';

const NS = 'nearf';
const SVC = 'room';
const FAULT_CODES: string[] = [ErrorCode.TIMEOUT, ErrorCode.REDIS_CONNECTION_ERROR];

/** The module's own connection, which doubles as the near-cache's reader when the module owns it. */
function moduleClient(app: StatefulApp): Redis {
  return (app.service as unknown as { connection: { client: Redis } }).connection.client;
}

function channelOf(cache: NearCache): TrackingChannel {
  const channels = (cache as unknown as { channels: Map<string, TrackingChannel> }).channels;
  const channel = channels.get('');
  assert.ok(channel, 'no tracking channel');
  return channel;
}

function subscriberOf(channel: TrackingChannel): Redis {
  return (channel as unknown as { subscriber: Redis }).subscriber;
}

async function clientIdByName(raw: Redis, name: string): Promise<string> {
  const list = (await raw.client('LIST')) as string;
  const line = list.split('\n').find((entry) => entry.includes(`name=${name} `));
  assert.ok(line, `no ${name} connection in CLIENT LIST`);
  return /id=(\d+)/.exec(line)![1];
}

function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<true> {
  return pollUntil(what, timeoutMs, async () => (check() ? true : 'not yet'), 10);
}

/** Every call must reject with a StatefulError of a fault code. */
async function expectFaults(calls: Array<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(calls);
  for (const [index, outcome] of settled.entries()) {
    const answer = outcome.status === 'fulfilled' ? JSON.stringify(outcome.value) : '';
    assert.equal(outcome.status, 'rejected', `call ${index} resolved: ${answer}`);
    const error = (outcome as PromiseRejectedResult).reason as StatefulError;
    assert.ok(error instanceof StatefulError, `call ${index}: not a StatefulError: ${String(error)}`);
    assert.ok(FAULT_CODES.includes(error.code), `call ${index}: code ${error.code} (${error.message})`);
  }
}

/** Eight link misses and one link-map miss, all different keys, so none joins another. */
function misses(app: StatefulApp, round: string): Array<Promise<unknown>> {
  return [
    ...Array.from({ length: 8 }, (_, i) => app.service.getLinkedPod(NS, `${round}-u${i}`, SVC)),
    app.service.getLinkService(NS, `${round}-map`),
  ];
}

/** The same calls answer again, from Redis and then from the cache. */
async function expectWorking(app: StatefulApp, cache: NearCache, round: string): Promise<void> {
  await waitFor('tracking is on again', () => cache.stats().active);
  await app.service.setLinkedPod(NS, `${round}-u0`, SVC, 4, -1);
  for (let pass = 0; pass < 2; pass++) {
    assert.equal(await app.service.getLinkedPod(NS, `${round}-u0`, SVC), 4);
    for (let i = 1; i < 8; i++) assert.equal(await app.service.getLinkedPod(NS, `${round}-u${i}`, SVC), NO_POD);
    assert.deepEqual(await app.service.getLinkService(NS, `${round}-map`), {});
  }
}

describe('near-cache under faults', () => {
  let server: RedisServer;
  let app: StatefulApp;
  let raw: Redis;
  let cache: NearCache;

  before(async () => {
    server = await RedisServer.start();
    app = await startStatefulApp({ redis: server.url, nearCache: {}, commandTimeoutMs: 300 });
    cache = app.app.get(NearCache);
    // Its loss when Redis is killed is expected: no 'error' listener would print it.
    raw = new Redis(server.port, server.host, { maxRetriesPerRequest: 1 }).on('error', () => undefined);
  });

  beforeEach(() => waitFor('tracking is on', () => cache.stats().active));

  after(async () => {
    raw?.disconnect();
    await app?.close();
    await server?.dispose();
  });

  it('misses during a command timeout reject with TIMEOUT, and nothing is left unhandled', async () => {
    // DEBUG SLEEP on the module's own connection (the reader): the misses queue behind it on the same socket.
    const sleeping = moduleClient(app)
      .call('DEBUG', 'SLEEP', '1')
      .catch(() => 'timed out');
    await expectFaults(misses(app, 'sleep'));
    await sleeping;
    await raw.ping(); // answered once Redis wakes up
    await expectWorking(app, cache, 'sleep');
  });

  it('misses while Redis goes away reject with a fault code, and nothing is left unhandled', async () => {
    // Paused: the misses reach Redis and wait there for their replies, which never come.
    await raw.client('PAUSE', 10_000, 'ALL');
    const calls = misses(app, 'gone');
    await server.kill();
    await expectFaults(calls);
    raw.disconnect();
    await server.start();
    raw = new Redis(server.port, server.host, { maxRetriesPerRequest: 1 }).on('error', () => undefined);
    await expectWorking(app, cache, 'gone');
  });

  it('tracking comes back when the reader drops between the subscriber being ready and subscribed', async () => {
    const channel = channelOf(cache);
    const subscriber = subscriberOf(channel);
    const reader = moduleClient(app);
    const readerId = String(await reader.client('ID'));
    const subscribe = subscriber.subscribe.bind(subscriber);
    // Once: just before the SUBSCRIBE leaves, the reader is killed and its close seen.
    subscriber.subscribe = (async (...channels: string[]) => {
      subscriber.subscribe = subscribe;
      const readerClosed = new Promise((resolve) => reader.once('close', resolve));
      await raw.client('KILL', 'ID', readerId);
      await readerClosed;
      return subscribe(...channels);
    }) as typeof subscriber.subscribe;
    await raw.client('KILL', 'ID', await clientIdByName(raw, 'stateful-redis-near-cache-subscriber'));
    await waitFor('the subscriber came back', () => subscriber.subscribe === subscribe && reader.status === 'ready');
    await waitFor('tracking is on again', () => cache.stats().active);
    await raw.set(`sf:{${NS}:lk:late}${SVC}`, '2');
    assert.equal(await app.service.getLinkedPod(NS, 'late', SVC), 2);
    const hits = cache.stats().hits;
    assert.equal(await app.service.getLinkedPod(NS, 'late', SVC), 2);
    assert.equal(cache.stats().hits, hits + 1, 'answered from the cache');
  });

  it('tracking comes back after its setup failed while the connections stayed up', async () => {
    // The subscriber may not SUBSCRIBE: its setup fails on an open connection, again and again.
    await raw.call('ACL', 'LOG', 'RESET');
    await raw.call('ACL', 'SETUSER', 'default', '-subscribe');
    try {
      await raw.client('KILL', 'ID', await clientIdByName(raw, 'stateful-redis-near-cache-subscriber'));
      await waitFor('tracking is off', () => !cache.stats().active);
      await pollUntil(
        'a SUBSCRIBE refused',
        10_000,
        async () => {
          const log = JSON.stringify(await raw.call('ACL', 'LOG'));
          return log.includes('"subscribe"') ? true : 'not yet';
        },
        10,
      );
    } finally {
      await raw.call('ACL', 'SETUSER', 'default', '+subscribe');
    }
    await waitFor('tracking is on again', () => cache.stats().active);
  });
});
