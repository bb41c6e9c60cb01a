import fc from 'fast-check';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeOnStandaloneAndCluster } from '../../harness/standalone-and-cluster';
import { useTargetFixture } from '../../harness/target-fixture';

const RUNS = Number(process.env.BATCH_PROPERTY_RUNS ?? 25);
const SEED = Number(process.env.PROPERTY_SEED ?? 1207);
/** Service names spread over many slots, some with glob characters. */
const SERVICES = [...Array.from({ length: 12 }, (_, i) => `svc-${i}`), 'a*b', 'x[1]', 'q?'];
const STATES = ['running', 'draining', 'stopped', 'warm'];

describeOnStandaloneAndCluster('batch pod reports and dashboard reads', (target) => {
  const f = useTargetFixture(target);

  it('batchSetServiceState / batchGetServiceState match the single-service calls (property)', async () => {
    const update = fc.dictionary(
      fc.constantFrom(...SERVICES),
      fc.dictionary(fc.integer({ min: 0, max: 6 }).map(String), fc.constantFrom(...STATES), { maxKeys: 4 }),
      { maxKeys: 6 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(update, { minLength: 1, maxLength: 3 }), async (updates) => {
        await target.flush();
        for (const states of updates) {
          await f.service.batchSetServiceState('batch', states, { asPodReport: true });
          for (const [service, pods] of Object.entries(states))
            for (const [podId, state] of Object.entries(pods))
              await f.otherService.setServiceState('single', service, Number(podId), state);
        }
        const batched = await f.service.batchGetServiceState('batch', SERVICES);
        const singly: Record<string, Record<number, string>> = {};
        for (const service of SERVICES) {
          const states = await f.service.getServiceState('single', service);
          if (Object.keys(states).length > 0) singly[service] = states;
          assert.deepEqual(await f.service.getServiceState('batch', service), states, service);
        }
        assert.deepEqual(batched, singly);
        assert.deepEqual(await f.service.batchGetServiceState('single', SERVICES), singly);
        // Each pod written by the batch as a report was recorded as setServiceState records it.
        for (const service of SERVICES) {
          const pods = await f.service.getPods('batch', service);
          assert.deepEqual(
            pods.filter((pod) => pod.lastSeenAt !== null).map((pod) => pod.podId),
            Object.keys(singly[service] ?? {}).map(Number),
          );
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('batchGetServiceState leaves unknown services out; empty lists and records are no-ops', async () => {
    await f.service.batchSetServiceState('ns', { a: { 0: 'running' }, b: {} });
    assert.deepEqual(await f.service.batchGetServiceState('ns', ['a', 'b', 'unknown', 'a']), { a: { 0: 'running' } });
    assert.deepEqual(await f.service.batchGetServiceState('ns', []), {});
    await f.service.batchSetServiceState('ns', {});
    // Written on the pod's behalf (the default of the batch): no liveness entry, the record of what was written.
    assert.deepEqual(await target.keys('*'), ['sf:{ns:state:a}', 'sf:{ns:state:a}writes']);
  });

  it('findServices lists the services with pod states or liveness entries, sorted, bounded, paged, glob names apart', async () => {
    for (const [ns, service] of [
      ['n1', 'plain'],
      ['n1', 'x[1]'],
      ['n1', 'a*b'],
      ['n2', 'a'],
      ['n*', 'svc'],
    ])
      await f.service.setServiceState(ns, service, 0, 'running');
    // A service whose pods only report weights or heartbeats is one (its pods can be swept); neither a uid whose
    // name looks like a state key, nor a workload state alone, makes one.
    await f.service.setPodWeight('n1', 'weights-only', 0, 1);
    await f.service.heartbeat('n1', 'heartbeat-only', 0);
    await f.service.setLinkedPod('n1', 'q:state:z', 'svc', 0, -1);
    await f.service.setWorkloadState('n1', 'workload-only', 'stable');
    const refs = (list: Array<[string, string]>) =>
      list.map(([namespace, serviceName]) => ({ namespace, serviceName }));
    assert.deepEqual(
      await f.service.findServices('n1'),
      refs([
        ['n1', 'a*b'],
        ['n1', 'heartbeat-only'],
        ['n1', 'plain'],
        ['n1', 'weights-only'],
        ['n1', 'x[1]'],
      ]),
    );
    assert.deepEqual(await f.service.findServices('n*'), refs([['n*', 'svc']]));
    assert.deepEqual(await f.service.findServices('n'), []);
    const all = refs([
      ['n*', 'svc'],
      ['n1', 'a*b'],
      ['n1', 'heartbeat-only'],
      ['n1', 'plain'],
      ['n1', 'weights-only'],
      ['n1', 'x[1]'],
      ['n2', 'a'],
    ]);
    assert.deepEqual(await f.service.findServices(), all);
    assert.deepEqual(await f.service.findServices(undefined, { limit: 2 }), all.slice(0, 2));
    // Page by page, each after the last of the previous one: every service once, in order.
    const paged: Array<{ namespace: string; serviceName: string }> = [];
    for (let page = await f.service.findServices(undefined, { limit: 3 }); page.length > 0;) {
      paged.push(...page);
      page = await f.service.findServices(undefined, { limit: 3, after: page.at(-1) });
    }
    assert.deepEqual(paged, all);
    await assert.rejects(f.service.findServices(undefined, { after: { namespace: 'a:b', serviceName: 's' } }), {
      code: 'INVALID_PARAMETER',
      field: 'options.after.namespace',
    });
  });

  it('findServices leaves out services whose names no method accepts (written by another client)', async () => {
    await f.service.setServiceState('n1', 'ok', 0, 'running');
    // A namespace with a space and a service name over 512 characters: getPods would refuse them.
    await f.raw.hset('sf:{bad ns:state:svc}', '0', 'running');
    await f.raw.hset(`sf:{n1:state:${'x'.repeat(600)}}`, '0', 'running');
    assert.deepEqual(await f.service.findServices(), [{ namespace: 'n1', serviceName: 'ok' }]);
    for (const { namespace, serviceName } of await f.service.findServices())
      await f.service.getPods(namespace, serviceName);
  });

  it('findServices keeps the first `limit` services in order over many pages', async () => {
    const services = Array.from({ length: 2_500 }, (_, i) => `s${String(i).padStart(4, '0')}`);
    await f.service.batchSetServiceState(
      'many',
      Object.fromEntries(services.map((service) => [service, { 0: 'running' }])),
    );
    const found = await f.service.findServices('many', { limit: 100 });
    assert.deepEqual(
      found.map((ref) => ref.serviceName),
      services.slice(0, 100),
    );
    assert.equal((await f.service.findServices('many', { limit: 10_000 })).length, services.length);
  });

  it('getUserLinks returns each live link with its pod and remaining TTL, sorted by service', async () => {
    await f.service.setLinkedPod('ns', 'u', 'chat', 3, -1);
    await f.service.setLinkedPod('ns', 'u', 'game', 1, 60);
    await f.service.setLinkedPod('ns', 'u', 'gone', 2, 60);
    await f.raw.del('sf:{ns:lk:u}gone'); // expired, the hash not re-synced yet: not live
    const links = await f.service.getUserLinks('ns', 'u');
    assert.deepEqual(
      links.map((link) => ({ ...link, ttlMs: link.ttlMs === null ? null : 'temporary' })),
      [
        { serviceName: 'chat', podId: 3, ttlMs: null },
        { serviceName: 'game', podId: 1, ttlMs: 'temporary' },
      ],
    );
    assert.ok(links[1].ttlMs! > 0 && links[1].ttlMs! <= 60_000);
    assert.deepEqual(await f.service.getUserLinks('ns', 'nobody'), []);
  });
});
