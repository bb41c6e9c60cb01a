import { TerminusModule } from '@nestjs/terminus';
import { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { METRIC_NAMES, StatefulRedisHealthIndicator } from '../../../lib';
import { RedisServer } from '../../harness/redis-server';
import { pollUntil } from '../../harness/wait';
import { bootStatefulModule } from '../../harness/stateful-app';

type Details = Record<string, unknown> & { status: string };

/** The value of one sample line of the Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const escaped = `${name}{${labels}}`.replace(/[{}()[\].+*?^$|\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('near-cache tracking in health details and metrics', () => {
  let server: RedisServer;
  let moduleRef: TestingModule;
  let indicator: StatefulRedisHealthIndicator;
  let raw: Redis;
  const registry = new Registry();

  async function details(): Promise<Details> {
    return (await indicator.isHealthy('redis')).redis as Details;
  }

  async function channels(): Promise<{ active?: number; inactive?: number }> {
    const text = await registry.metrics();
    return {
      active: sample(text, METRIC_NAMES.nearCacheTracking, 'state="active"'),
      inactive: sample(text, METRIC_NAMES.nearCacheTracking, 'state="inactive"'),
    };
  }

  function waitForTracking(on: boolean): Promise<true> {
    return pollUntil(
      `tracking ${on ? 'on' : 'off'} in the health details`,
      10_000,
      async () => {
        const current = await details();
        return current.nearCacheTracking === on ? true : JSON.stringify(current);
      },
      10,
    );
  }

  before(async () => {
    server = await RedisServer.start();
    const options = { redis: server.url, nearCache: {}, metrics: { registry } };
    moduleRef = await bootStatefulModule(options, { imports: [TerminusModule] });
    indicator = moduleRef.get(StatefulRedisHealthIndicator);
    raw = new Redis(server.port, server.host, { maxRetriesPerRequest: 1 });
  });

  after(async () => {
    raw?.disconnect();
    await moduleRef?.close();
    await server?.dispose();
  });

  it('reports tracking on: up, nearCacheTracking: true, one active channel', async () => {
    await waitForTracking(true);
    const current = await details();
    assert.equal(current.status, 'up');
    assert.deepEqual(await channels(), { active: 1, inactive: 0 });
  });

  it('reports tracking off while it cannot be turned on (still up: reads go to Redis), then on', async () => {
    // The subscriber may not SUBSCRIBE: tracking stays off, on a Redis that answers.
    await raw.call('ACL', 'SETUSER', 'default', '-subscribe');
    try {
      const list = (await raw.client('LIST')) as string;
      const line = list.split('\n').find((entry) => entry.includes('name=stateful-redis-near-cache-subscriber '));
      assert.ok(line, 'no subscriber connection');
      await raw.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]);
      await waitForTracking(false);
      assert.equal((await details()).status, 'up');
      assert.deepEqual(await channels(), { active: 0, inactive: 1 });
    } finally {
      await raw.call('ACL', 'SETUSER', 'default', '+subscribe');
    }
    await waitForTracking(true);
    assert.deepEqual(await channels(), { active: 1, inactive: 0 });
  });
});
