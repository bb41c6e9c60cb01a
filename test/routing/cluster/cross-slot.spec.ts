import calculateSlot = require('cluster-key-slot');
import type { Cluster } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';
import { ClusterTarget } from '../../harness/cluster-target';
import { clusterClientOf, writeBySlot } from '../../harness/cluster-writes';
import { startStatefulApp } from '../../harness/stateful-app';
import { useTargetFixture } from '../../harness/target-fixture';

const NS = 'xslot';
const SVC = 'svc';
const SHAS = SCRIPT_NAMES.map((name) => ROUTING_SCRIPTS[name].sha);

/** The master port serving a key's slot, as the app's client routes it. */
function masterPortOf(client: Cluster, key: string): number {
  const [master] = (client as unknown as { slots: string[][] }).slots[calculateSlot(key)];
  return Number(master.split(':').pop());
}

describe('Redis Cluster specifics (3 masters, 3 replicas)', () => {
  const target = new ClusterTarget();
  const fixture = useTargetFixture(target);

  it('preloads every script on every master at startup', async () => {
    const masters = await target.cluster.masters();
    assert.equal(masters.length, 3);
    // A fresh app of its own, so that no call has cached anything by EVAL first.
    await Promise.all(masters.map((master) => master.cli('SCRIPT', 'FLUSH')));
    const fresh = await startStatefulApp(target.moduleOptions());
    try {
      for (const master of masters) {
        const flags = (await master.cli('SCRIPT', 'EXISTS', ...SHAS)).split('\n').map((flag) => flag.trim());
        assert.deepEqual(
          flags,
          SHAS.map(() => '1'),
          `master ${master.port} lacks scripts`,
        );
      }
    } finally {
      await fresh.close();
    }
  });

  // How the reads reach the nodes (one pipeline per master, one-slot MGETs, bounded keys in flight): batch-reads.spec.ts.
  it('batchGetLinkedPod answers 100 000 uids across all slots, each once, in input order', async (t) => {
    const uids = Array.from({ length: 100_000 }, (_, i) => `player-${i}`);
    // Every fourth uid linked to pod (i mod 5), written as another implementation would.
    const linked: Array<[string, string]> = [];
    for (let i = 0; i < uids.length; i += 4) linked.push([`sf:{${NS}:lk:${uids[i]}}${SVC}`, String(i % 5)]);
    await writeBySlot(fixture.raw as Cluster, linked);
    const slots = new Set(uids.map((uid) => calculateSlot(`sf:{${NS}:lk:${uid}}${SVC}`)));
    assert.ok(slots.size > 16_000, `the uids cover only ${slots.size} slots`);

    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    const result = await fixture.service.batchGetLinkedPod(NS, uids, SVC);
    const elapsedMs = Date.now() - started;
    t.diagnostic(
      `100 000 uids on the cluster: ${elapsedMs} ms, heap +${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB`,
    );

    assert.equal(
      Object.values(result).reduce((sum, list) => sum + list.length, 0),
      25_000,
    );
    for (let pod = 0; pod < 5; pod++) {
      const expected = uids.filter((_, i) => i % 4 === 0 && i % 5 === pod);
      assert.deepEqual(result[pod], expected, `pod ${pod}: wrong uids or order`);
    }
  });

  it('getWorkloadState reads 20 000 services spread over every master', async () => {
    const services = Array.from({ length: 20_000 }, (_, i) => `service-${i}`);
    const written: Array<[string, string]> = [];
    for (let i = 0; i < services.length; i += 3) written.push([`sf:{${NS}:workload:${services[i]}}`, `state-${i}`]);
    await writeBySlot(fixture.raw as Cluster, written);
    const ports = new Set(
      services.map((s) => masterPortOf(clusterClientOf(fixture.service), `sf:{${NS}:workload:${s}}`)),
    );
    assert.equal(ports.size, 3, 'the services should live on all three masters');
    const states = await fixture.service.getWorkloadState(NS, services);
    assert.equal(Object.keys(states).length, written.length);
    for (const [key, value] of written.slice(0, 100)) assert.equal(states[/workload:(.*)\}$/.exec(key)![1]], value);
    assert.equal(states['service-1'], undefined);
  });

  it('computeLinkedPodIfAbsent works when the fixture.service keys and the uid keys are on different masters', async () => {
    const client = clusterClientOf(fixture.service);
    const stateKey = `sf:{${NS}:state:${SVC}}`;
    await fixture.service.setServiceState(NS, SVC, 0, 'running');
    await fixture.service.setServiceState(NS, SVC, 1, 'running');
    await fixture.service.setPodWeight(NS, SVC, 1, 10);
    // Uids whose keys sit on another master than the fixture.service's pod keys.
    const servicePort = masterPortOf(client, stateKey);
    const uids = Array.from({ length: 200 }, (_, i) => `far-${i}`).filter(
      (uid) => masterPortOf(client, `sf:{${NS}:lk:${uid}}`) !== servicePort,
    );
    assert.ok(uids.length > 50);
    // Pod 0 starts at weight 0, pod 1 at 10: the first ten new users, placed one by one, go to pod 0.
    const picked: number[] = [];
    for (const uid of uids.slice(0, 10)) picked.push(await fixture.service.computeLinkedPodIfAbsent(NS, uid, SVC, -1));
    assert.deepEqual(picked, Array(10).fill(0));
    // The next thirty arrive at once through two apps.
    picked.push(
      ...(await Promise.all(
        uids
          .slice(10, 40)
          .map((uid, i) => (i % 2 ? fixture.service : fixture.otherService).computeLinkedPodIfAbsent(NS, uid, SVC, -1)),
      )),
    );
    for (const [i, uid] of uids.slice(0, 40).entries()) {
      assert.equal(await (fixture.raw as Cluster).get(`sf:{${NS}:lk:${uid}}${SVC}`), String(picked[i]));
      assert.deepEqual(await (fixture.raw as Cluster).hgetall(`sf:{${NS}:lk:${uid}}`), { [SVC]: String(picked[i]) });
      assert.equal(
        await fixture.service.computeLinkedPodIfAbsent(NS, uid, SVC, -1),
        picked[i],
        'a second call must return the existing link',
      );
    }
    // Every created link was counted once on its pod: weights grew by exactly 40 in total.
    const weights = await (fixture.raw as Cluster).hgetall(`${stateKey}weight`);
    assert.equal(Number(weights['0'] ?? 0) + Number(weights['1'] ?? 0), 10 + 40);
  });

  it('the keys of one uid share a slot, and so do the keys of one fixture.service', () => {
    for (const [a, b] of [
      [`sf:{${NS}:lk:u1}`, `sf:{${NS}:lk:u1}${SVC}`],
      [`sf:{${NS}:lk:u1}`, `sf:{${NS}:lk:u1}another-service`],
      [`sf:{${NS}:state:${SVC}}`, `sf:{${NS}:state:${SVC}}weight`],
    ]) {
      assert.equal(calculateSlot(a), calculateSlot(b), `${a} / ${b}`);
    }
  });
});
