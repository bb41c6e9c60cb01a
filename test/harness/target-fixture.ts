import type { Cluster, Redis } from 'ioredis';
import { after, before, beforeEach } from 'node:test';
import type { StatefulExecutorService, StatefulRedisModuleOptions } from '../../lib';
import type { RedisTarget } from './redis-target';
import { startStatefulApp, StatefulApp } from './stateful-app';

export interface TargetFixture {
  /** The library, as the app under test uses it. */
  readonly service: StatefulExecutorService;
  /** A second app with its own connection: another gateway replica. */
  readonly otherService: StatefulExecutorService;
  /** A plain client: what the Java/Go implementations or an operator see. */
  readonly raw: Redis | Cluster;
  readonly target: RedisTarget;
}

/** Starts the target and two apps on it before the suite, empties Redis before each test. */
export function useTargetFixture(
  target: RedisTarget,
  extraOptions: Partial<StatefulRedisModuleOptions> = {},
): TargetFixture {
  let first: StatefulApp;
  let second: StatefulApp;
  let raw: Redis | Cluster;
  before(async () => {
    await target.start();
    first = await startStatefulApp({ ...target.moduleOptions(), ...extraOptions });
    second = await startStatefulApp({ ...target.moduleOptions(), ...extraOptions });
    raw = target.rawClient();
  });
  beforeEach(() => target.flush());
  after(async () => {
    raw?.disconnect();
    await first?.close();
    await second?.close();
    await target.stop();
  });
  return {
    get service() {
      return first.service;
    },
    get otherService() {
      return second.service;
    },
    get raw() {
      return raw;
    },
    target,
  };
}
