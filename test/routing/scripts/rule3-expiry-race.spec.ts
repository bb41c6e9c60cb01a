import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';
import { sleep } from '../../harness/wait';

const NS = 'race3';
const UIDS_PER_ROUND = 1_000;
const ROUNDS = 6;
/**
 * The temporary links live 1 to 40 ms from their write, spread over the time the burst of removals takes,
 * so that many removals land in the one millisecond in which their uid's temporary link has a PTTL of 0.
 */
const SHORTEST_MS = 1;
const SPREAD_MS = 40;

describeOnTargets('rule 3 under links expiring while another link of the uid is removed', (target) => {
  const f = useTargetFixture(target);

  it('leaves no uid hash behind (stress: 6 000 uids, each with a link expiring within ms of a removal)', async (t) => {
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const uids = Array.from({ length: UIDS_PER_ROUND }, (_, i) => `r${round}-u${i}`);
      await Promise.all(uids.map((uid) => f.service.setLinkedPod(NS, uid, 'persistent', 1, -1)));
      // A short-lived link as another implementation may write it (PX)...
      await Promise.all(
        uids.map(async (uid, i) => {
          const hashKey = `sf:{${NS}:lk:${uid}}`;
          await f.raw.hset(hashKey, 'temporary', '2');
          await f.raw.set(`${hashKey}temporary`, '2', 'PX', SHORTEST_MS + (i % SPREAD_MS));
        }),
      );
      // ...then the persistent links go, all at once, while the short-lived ones expire.
      await Promise.all(uids.map((uid) => f.service.removeLinkedPod(NS, uid, 'persistent', 0)));
    }
    // Every link is gone by now (the longest lived 8 ms): so must be every key.
    await sleep(50);
    const left = await f.target.keys(`sf:{${NS}:lk:*`);
    const examples = await Promise.all(left.slice(0, 3).map(async (key) => `${key} pttl=${await f.raw.pttl(key)}`));
    t.diagnostic(`${ROUNDS * UIDS_PER_ROUND} uids in ${Date.now() - started} ms, ${left.length} keys left`);
    assert.deepEqual(left.length, 0, `${left.length} keys outlived their links, e.g. ${examples.join(', ')}`);
  });
});
