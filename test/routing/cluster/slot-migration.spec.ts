import calculateSlot = require('cluster-key-slot');
import type { Cluster } from 'ioredis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, NO_POD, StatefulError, StatefulExecutorService } from '../../../lib';
import { ClusterTarget } from '../../harness/cluster-target';
import { startStatefulApp, StatefulApp } from '../../harness/stateful-app';

const NS = 'mig';
const SERVICES = ['chat', 'game', 'voice'];
const UIDS_IN_SLOT = 8;
const POD_IDS = [0, 1, 2];

interface Link {
  podId: number;
  persistent: boolean;
}

/** What the writes said, per uid and service: the model every read is compared with. */
type Model = Map<string, Map<string, Link>>;

/** A small deterministic PRNG, so that a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** `count` uids whose keys all live in one slot, so that a single-slot migration concerns every one of them. */
function uidsInOneSlot(count: number): { slot: number; uids: string[] } {
  const slot = calculateSlot(`sf:{${NS}:lk:uid-0}`);
  const uids = ['uid-0'];
  for (let i = 1; uids.length < count; i++) if (calculateSlot(`sf:{${NS}:lk:uid-${i}}`) === slot) uids.push(`uid-${i}`);
  return { slot, uids };
}

/** One random write on a uid, checked against and applied to the model. */
async function randomWrite(
  service: StatefulExecutorService,
  model: Model,
  uid: string,
  next: () => number,
): Promise<void> {
  const links = model.get(uid) as Map<string, Link>;
  const serviceName = SERVICES[Math.floor(next() * SERVICES.length)];
  const podId = POD_IDS[Math.floor(next() * POD_IDS.length)];
  const ttl = next() < 0.5 ? -1 : 60;
  const current = links.get(serviceName);
  const link = (): Link => ({ podId, persistent: ttl === -1 });
  const remove = (linger: number) => {
    if (linger > 0) links.set(serviceName, { podId: (current as Link).podId, persistent: false });
    else links.delete(serviceName);
  };
  const what = `${uid}/${serviceName}`;
  switch (Math.floor(next() * 5)) {
    case 0:
      assert.equal(
        await service.setLinkedPod(NS, uid, serviceName, podId, ttl),
        current?.podId ?? NO_POD,
        `setLinkedPod ${what}`,
      );
      links.set(serviceName, link());
      return;
    case 1: {
      const refused = current !== undefined && current.persistent && current.podId !== podId;
      const expected = { success: !refused, podId: refused ? (current as Link).podId : podId };
      assert.deepEqual(
        await service.trySetLinkedPod(NS, uid, serviceName, podId, ttl),
        expected,
        `trySetLinkedPod ${what}`,
      );
      if (!refused) links.set(serviceName, link());
      return;
    }
    case 2:
      assert.equal(
        await service.setLinkedPodIfAbsent(NS, uid, serviceName, podId, ttl),
        current?.podId ?? podId,
        `setLinkedPodIfAbsent ${what}`,
      );
      if (!current) links.set(serviceName, link());
      return;
    case 3: {
      const linger = next() < 0.5 ? 0 : 60;
      assert.equal(
        await service.removeLinkedPod(NS, uid, serviceName, linger),
        current !== undefined,
        `removeLinkedPod ${what}`,
      );
      if (current) remove(linger);
      return;
    }
    default: {
      const linger = next() < 0.5 ? 0 : 60;
      const matches = current?.podId === podId;
      assert.equal(
        await service.removeLinkedPodWithId(NS, uid, serviceName, linger, podId),
        matches,
        `removeLinkedPodWithId ${what}`,
      );
      if (matches) remove(linger);
    }
  }
}

/** Runs `action` until it does not fail with the resharding code; other failures are kept in `unexpected`. */
async function retryWhileResharding(action: () => Promise<void>, counts: Map<string, number>): Promise<void> {
  for (;;) {
    try {
      return await action();
    } catch (error) {
      const code = error instanceof StatefulError ? error.code : 'not a StatefulError';
      const reason = (error as Error).message.replace(/^\w+\(.*?\) failed: /, '').slice(0, 160);
      counts.set(`${code}: ${reason}`, (counts.get(`${code}: ${reason}`) ?? 0) + 1);
      if (code !== ErrorCode.CLUSTER_RESHARDING) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Rule 3 and every read, for one uid, against the model. */
async function checkUid(
  service: StatefulExecutorService,
  raw: Cluster,
  uid: string,
  links: Map<string, Link>,
): Promise<string[]> {
  const problems: string[] = [];
  const hashKey = `sf:{${NS}:lk:${uid}}`;
  const expected = Object.fromEntries([...links].map(([name, link]) => [name, link.podId]));
  const fields = Object.fromEntries(
    Object.entries(await raw.hgetall(hashKey)).map(([name, value]) => [name, Number(value)]),
  );
  if (JSON.stringify(sorted(fields)) !== JSON.stringify(sorted(expected))) {
    problems.push(`${uid}: hash ${JSON.stringify(fields)}, model ${JSON.stringify(expected)}`);
  }
  const readLinks = { ...(await service.getLinkService(NS, uid)) };
  if (JSON.stringify(sorted(readLinks)) !== JSON.stringify(sorted(expected))) {
    problems.push(`${uid}: getLinkService ${JSON.stringify(readLinks)}, model ${JSON.stringify(expected)}`);
  }
  // Hash TTL first, then the links: read later, a link's PTTL can only be lower.
  const hashTtl = await raw.pttl(hashKey);
  let longest = -2;
  for (const name of SERVICES) {
    const link = links.get(name);
    const [podId, ttl] = [await service.getLinkedPod(NS, uid, name), await raw.pttl(`${hashKey}${name}`)];
    if (podId !== (link?.podId ?? NO_POD))
      problems.push(`${uid}/${name}: getLinkedPod ${podId}, model ${link?.podId ?? NO_POD}`);
    if ((ttl === -1) !== (link?.persistent ?? false) || (ttl === -2) !== (link === undefined)) {
      problems.push(`${uid}/${name}: PTTL ${ttl}, model ${JSON.stringify(link ?? null)}`);
    }
    longest = ttl === -1 || longest === -1 ? -1 : Math.max(longest, ttl);
  }
  const hashOk = longest === -1 ? hashTtl === -1 : longest === -2 ? hashTtl === -2 : hashTtl >= longest;
  if (!hashOk) problems.push(`${uid}: hash PTTL ${hashTtl} with links living ${longest}`);
  return problems;
}

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

describe('Redis Cluster: a slot migrating under concurrent writes (3 masters, 3 replicas)', () => {
  const target = new ClusterTarget();
  let app: StatefulApp;
  let raw: Cluster;

  before(async () => {
    await target.start();
    app = await startStatefulApp(target.moduleOptions());
    raw = target.rawClient();
  });
  after(async () => {
    raw?.disconnect();
    await app?.close();
    await target.stop();
  });

  it('moves the slot there and back, key by key, while writers run: every read agrees with the model, rule 3 holds', async (t) => {
    const service = app.service;
    const { slot, uids } = uidsInOneSlot(UIDS_IN_SLOT);
    const model: Model = new Map(uids.map((uid) => [uid, new Map()]));
    const failures = new Map<string, number>();
    let migrating = true;
    let writes = 0;
    // A writer stops at its first failure that is not the resharding code: its uid's state is unknown from then on.
    const unexpected: string[] = [];
    const writers = uids.map(async (uid, index) => {
      const next = random(index + 1);
      try {
        while (migrating) {
          await retryWhileResharding(() => randomWrite(service, model, uid, next), failures);
          writes++;
        }
      } catch (error) {
        unexpected.push(`${uid}: ${(error as Error).message}`);
      }
    });
    const home = await target.cluster.ownerOf(slot);
    const away = (await target.cluster.masters()).find((master) => master !== home)!;
    try {
      for (const destination of [away, home, away, home]) {
        await target.cluster.migrateSlot(slot, destination, { keysPerBatch: 1, pauseMs: 15 });
      }
    } finally {
      migrating = false;
    }
    await Promise.all(writers);
    t.diagnostic(
      `${writes} writes on slot ${slot} during 4 migrations; failures retried: ${JSON.stringify([...failures])}`,
    );

    assert.deepEqual(unexpected, []);
    const problems = (await Promise.all(uids.map((uid) => checkUid(service, raw, uid, model.get(uid)!)))).flat();
    assert.deepEqual(problems, []);
    // Without links, no key of the uids is left.
    for (const uid of uids) for (const name of SERVICES) await service.removeLinkedPod(NS, uid, name, 0);
    assert.deepEqual(await target.keys(`sf:{${NS}:lk:*`), []);
  });

  it('a script that meets a moved link key fails with CLUSTER_RESHARDING before writing, and works once the slot moved', async () => {
    const service = app.service;
    const hashKey = `sf:{${NS}:lk:half}`;
    await service.setLinkedPod(NS, 'half', 'chat', 1, -1);
    await service.setLinkedPod(NS, 'half', 'game', 2, 60);
    const slot = calculateSlot(hashKey);
    const home = await target.cluster.ownerOf(slot);
    const away = (await target.cluster.masters()).find((master) => master !== home)!;
    const from = await target.cluster.beginSlotMigration(slot, away);
    // Only the game link moves: the uid's hash and chat link stay, so the scripts run on the old owner.
    await target.cluster.migrateKeys(from, away, [`${hashKey}game`]);
    const before = await from.cli('GET', `${hashKey}chat`);
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['setLinkedPod', () => service.setLinkedPod(NS, 'half', 'chat', 5, -1)],
      ['trySetLinkedPod', () => service.trySetLinkedPod(NS, 'half', 'chat', 1, 60)],
      ['removeLinkedPod', () => service.removeLinkedPod(NS, 'half', 'chat', 0)],
      ['removeLinkedPodWithId', () => service.removeLinkedPodWithId(NS, 'half', 'chat', 30, 1)],
      ['getLinkService', () => service.getLinkService(NS, 'half')],
    ];
    const outcomes: string[] = [];
    for (const [name, call] of writes) {
      outcomes.push(
        await call().then(
          (value) => `${name}: answered ${JSON.stringify(value)}`,
          (error: StatefulError) => `${name}: ${error.code}`,
        ),
      );
    }
    const after = [
      await from.cli('GET', `${hashKey}chat`),
      await from.cli('PTTL', `${hashKey}chat`),
      await from.cli('HGET', hashKey, 'chat'),
    ];
    await target.cluster.migrateKeys(from, away, [hashKey, `${hashKey}chat`]);
    await target.cluster.finishSlotMigration(slot, from, away);
    assert.deepEqual(
      outcomes,
      writes.map(([name]) => `${name}: ${ErrorCode.CLUSTER_RESHARDING}`),
    );
    assert.deepEqual(after, [before, '-1', '1'], 'a failed call left a write behind');
    // The same calls work once the slot has moved.
    assert.equal(await service.setLinkedPod(NS, 'half', 'chat', 5, -1), 1);
    assert.deepEqual({ ...(await service.getLinkService(NS, 'half')) }, { chat: 5, game: 2 });
  });
});
