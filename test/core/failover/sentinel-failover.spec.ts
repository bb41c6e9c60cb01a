import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, StatefulRedisHealthIndicator } from '../../../lib';
import { ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';
import { RedisSentinelGroup } from '../../harness/redis-sentinel';
import { eventually, sleep } from '../../harness/wait';
import { startStatefulApp, StatefulApp } from '../../harness/stateful-app';
import { awaitRecovery, LinkLoad } from './load';
import { waitForReplica } from './replication';

const NS = 'sentinel';
const SVC = 'chat';
const COMMAND_TIMEOUT_MS = 1_000;
const FAULT_CODES: string[] = [ErrorCode.REDIS_CONNECTION_ERROR, ErrorCode.TIMEOUT, ErrorCode.REDIS_OPERATION_ERROR];
const SHAS = SCRIPT_NAMES.map((name) => ROUTING_SCRIPTS[name].sha);

describe('Sentinel: the master killed under load', () => {
  let group: RedisSentinelGroup;
  const apps: StatefulApp[] = [];
  const durable = Array.from({ length: 100 }, (_, i) => `durable-${i}`);

  before(async () => {
    group = await RedisSentinelGroup.start({ sentinels: 3 });
    for (let i = 0; i < 2; i++) {
      apps.push(
        await startStatefulApp({
          redis: { sentinels: group.sentinels, name: group.name },
          commandTimeoutMs: COMMAND_TIMEOUT_MS,
        }),
      );
    }
    for (let pod = 0; pod < 3; pod++) await apps[0].service.setServiceState(NS, SVC, pod, 'running');
    for (const [i, uid] of durable.entries()) await apps[0].service.setLinkedPod(NS, uid, SVC, i % 3, -1);
  });

  after(async () => {
    for (const app of apps) await app.close();
    await group?.dispose();
  });

  it('calls fail only until the Sentinels promote the replica, then succeed without restarting the app; scripts reloaded', async (t) => {
    const uids = Array.from({ length: 200 }, (_, i) => `load-${i}`);
    const load = new LinkLoad(
      apps.map((app) => app.service),
      { workers: 8, uids, namespace: NS, service: SVC },
    );
    const indicator = apps[0].app.get(StatefulRedisHealthIndicator);
    load.start();
    let oldPort: number | undefined;
    try {
      await sleep(1_000);
      assert.equal(
        load.summary().failures,
        0,
        `calls failed before the fault: ${JSON.stringify(load.summary().codes)}`,
      );
      const master = await group.master();
      oldPort = master.port;
      await waitForReplica(master);
      const killedAt = Date.now();
      await group.killMaster();
      // The indicator notices: down (not hanging) while there is no master.
      const down = await eventually(
        'the health indicator to report down',
        async () => {
          const result = await indicator.isHealthy('redis');
          assert.equal(result.redis.status, 'down');
          return result.redis;
        },
        10_000,
        50,
      );
      const { promoted, promotedAfterMs, during, afterwards } = await awaitRecovery(load, killedAt, () =>
        group.waitForFailover(master, 30_000),
      );
      t.diagnostic(
        `Sentinel: replica ${promoted.port} promoted ${promotedAfterMs} ms after the kill; calls failed for ${during.failingForMs} ms ` +
          `(${during.failures} of ${during.calls} calls failed: ${JSON.stringify(during.codes)}); longest call ${during.longestCallMs} ms; ` +
          `health while down: ${JSON.stringify(down)}`,
      );
      t.diagnostic(`Sentinel: kinds of failure: ${load.failureKinds().join(' | ')}`);
      assert.deepEqual(load.unexpectedFailures(FAULT_CODES).slice(0, 3), []);
      assert.deepEqual(load.misclassified().slice(0, 3), [], 'a failure carries the wrong code');
      assert.ok(
        during.longestCallMs < COMMAND_TIMEOUT_MS + 3_000,
        `a call took ${during.longestCallMs} ms: something hung`,
      );
      assert.equal(afterwards.failures, 0, `calls still failed after recovery: ${JSON.stringify(afterwards.codes)}`);
      assert.ok(during.failingForMs < 20_000);

      // Reconnecting to the new master reloads every script, so the indicator is fully up again.
      await eventually(
        'every script on the new master',
        async () => {
          const flags = (await promoted.cli('SCRIPT', 'EXISTS', ...SHAS)).split('\n').map((flag) => flag.trim());
          assert.deepEqual(
            flags,
            SHAS.map(() => '1'),
          );
        },
        10_000,
      );
      const up = await eventually(
        'the health indicator to report up',
        async () => {
          const result = await indicator.isHealthy('redis');
          assert.equal(result.redis.status, 'up');
          assert.equal(result.redis.scriptsLoaded, true);
          return result.redis;
        },
        10_000,
      );
      assert.equal(typeof up.roundTripMs, 'number');
    } finally {
      await load.stop();
    }

    // Everything acknowledged by the replica before the kill is there; both apps agree on every link.
    for (const [i, uid] of durable.entries())
      assert.equal(await apps[1].service.getLinkedPod(NS, uid, SVC), i % 3, uid);
    for (const uid of uids) {
      const [a, b, links] = await Promise.all([
        apps[0].service.getLinkedPod(NS, uid, SVC),
        apps[1].service.getLinkedPod(NS, uid, SVC),
        apps[0].service.getLinkService(NS, uid),
      ]);
      assert.equal(a, b);
      assert.equal(links[SVC] ?? -1, a, `${uid}: getLinkService and getLinkedPod disagree`);
    }
    assert.notEqual((await group.master()).port, oldPort);
  });
});
