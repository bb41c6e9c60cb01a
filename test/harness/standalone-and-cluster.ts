import { describe } from 'node:test';
import { ClusterTarget } from './cluster-target';
import { RedisTarget, StandaloneTarget } from './redis-target';

/**
 * `describe` on a standalone Redis and on the harness cluster (3 masters, 3 replicas), whatever `REDIS_TARGETS`
 * says: for suites whose code path differs by topology (a SCAN of every master, writes grouped by node), so that
 * the plain `npm test` run covers both.
 */
export function describeOnStandaloneAndCluster(title: string, body: (target: RedisTarget) => void): void {
  describe(`${title} [standalone]`, () => body(new StandaloneTarget()));
  describe(`${title} [cluster]`, () => body(new ClusterTarget()));
}
