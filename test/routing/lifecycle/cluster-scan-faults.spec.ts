import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { StatefulError } from '../../../lib';
import { ClusterTarget } from '../../harness/cluster-target';
import { startStatefulApp, type StatefulApp } from '../../harness/stateful-app';

/*
 * Issue 18, item 3: a SCAN of the cluster covers the master of every slot, from a fresh view of the shards, or the
 * call fails with a retryable error; the sweep run again then finishes the job.
 */

const NS = 'faults';
const SVC = 'game';
const POD = 1;
const USERS = 3_000;
const RETRYABLE = new Set(['REDIS_CONNECTION_ERROR', 'CLUSTER_RESHARDING', 'TIMEOUT']);

describe('cluster scans under faults', () => {
  const target = new ClusterTarget();
  let app: StatefulApp;
  before(async () => {
    await target.start();
    app = await startStatefulApp(target.moduleOptions());
  });
  beforeEach(() => target.flush());
  after(async () => {
    await app?.close();
    await target.stop();
  });

  const uids = Array.from({ length: USERS }, (_, i) => `u${i}`);
  async function linkUsers(): Promise<void> {
    for (let from = 0; from < USERS; from += 500)
      await Promise.all(uids.slice(from, from + 500).map((uid) => app.service.setLinkedPod(NS, uid, SVC, POD, -1)));
  }
  const linksLeft = async () => ((await app.service.batchGetLinkedPod(NS, uids, SVC))[POD] ?? []).length;
  /** Resets the client connections of a running master, as a network blip or an idle cut would. */
  const resetConnections = async () => {
    const [master] = await target.cluster.masters();
    await master.cli('CLIENT', 'KILL', 'TYPE', 'normal');
  };

  /** Runs the sweep until it succeeds; each failure must be a retryable StatefulError. */
  async function sweepUntilDone(firstOnProgress: () => Promise<void>): Promise<{ failures: string[] }> {
    const failures: string[] = [];
    let onProgress: (() => Promise<void>) | undefined = firstOnProgress;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await app.service.removePodLinks(NS, SVC, POD, { onProgress });
        return { failures };
      } catch (error) {
        assert.ok(error instanceof StatefulError && RETRYABLE.has(error.code), String(error));
        failures.push(error.code);
        onProgress = undefined;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    throw new Error(`no sweep succeeded: ${failures.join(', ')}`);
  }

  it('a master whose connection was reset is scanned all the same (removePodLinks and findServices)', async () => {
    await linkUsers();
    const services = Array.from({ length: 9 }, (_, i) => `svc${i}`);
    for (const service of services) await app.service.setServiceState(NS, service, 0, 'running');
    await resetConnections();
    assert.equal(await app.service.removePodLinks(NS, SVC, POD), USERS);
    assert.equal(await linksLeft(), 0);
    await resetConnections();
    assert.deepEqual(
      (await app.service.findServices(NS)).map((ref) => ref.serviceName),
      services,
    );
  });

  it('a connection killed mid-sweep fails the call (retryable) or the walk covers it; run again, no link is left', async () => {
    await linkUsers();
    let killed = false;
    const { failures } = await sweepUntilDone(async () => {
      if (killed) return;
      killed = true;
      await resetConnections();
    });
    assert.equal(await linksLeft(), 0);
    assert.ok(failures.length <= 1, failures.join(', '));
  });

  it('a master failed over during a sweep fails the call (retryable); run again, no link is left', async () => {
    await linkUsers();
    let failedOver = false;
    const { failures } = await sweepUntilDone(async () => {
      if (failedOver) return;
      failedOver = true;
      const [master] = await target.cluster.masters();
      await target.cluster.killMaster(master);
      await target.cluster.waitForFailover(master);
    });
    assert.ok(failures.length >= 1, 'the sweep that lost a master during its walk succeeded');
    assert.equal(await linksLeft(), 0);
  });
  it('a slot migrating during a walk fails the call (CLUSTER_RESHARDING): MIGRATE could move keys past both SCANs', async () => {
    await linkUsers();
    const [source, destination] = await target.cluster.masters();
    const own = (await source.cli('CLUSTER', 'NODES')).split('\n').find((line) => line.includes('myself'))!;
    const slot = own.split(' ')[8].split('-')[0];
    const sourceId = await source.cli('CLUSTER', 'MYID');
    const destinationId = await destination.cli('CLUSTER', 'MYID');
    await destination.cli('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
    await source.cli('CLUSTER', 'SETSLOT', slot, 'MIGRATING', destinationId);
    try {
      await assert.rejects(app.service.removePodLinks(NS, SVC, POD), (error: unknown) => {
        assert.ok(error instanceof StatefulError && error.code === 'CLUSTER_RESHARDING', String(error));
        assert.match(error.message, new RegExp(`slot ${slot} is being migrated`));
        return true;
      });
    } finally {
      await source.cli('CLUSTER', 'SETSLOT', slot, 'STABLE');
      await destination.cli('CLUSTER', 'SETSLOT', slot, 'STABLE');
    }
    // Once the migration is over, the walk runs again and finishes.
    await app.service.removePodLinks(NS, SVC, POD);
    assert.equal(await linksLeft(), 0);
  });
});
