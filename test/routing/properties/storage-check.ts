import type { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from '../../harness/redis-target';
import type { CallWindow, ExpectedStorage } from './spec-model';

interface StoredKey {
  type: string;
  value: string | Record<string, string> | null;
  pttl: number;
}

export interface StorageSnapshot {
  keys: Map<string, StoredKey>;
  window: CallWindow;
}

/** Every key of the namespace with its type, value and PTTL, as a plain client (Java, Go, an operator) sees them. */
export async function readStorage(target: RedisTarget, raw: Redis | Cluster, ns: string): Promise<StorageSnapshot> {
  const start = Date.now();
  // On one node, KEYS through the open connection (the target's own listing starts a redis-cli).
  const names = raw.isCluster ? await target.keys(`sf:{${ns}:*`) : await (raw as Redis).keys(`sf:{${ns}:*`);
  const keys = new Map<string, StoredKey>();
  await Promise.all(
    names.map(async (name) => {
      const [type, pttl] = await Promise.all([raw.type(name), raw.pttl(name)]);
      if (type === 'none') return; // expired between SCAN and now
      const value = type === 'hash' ? await raw.hgetall(name) : type === 'string' ? await raw.get(name) : null;
      keys.set(name, { type, value, pttl });
    }),
  );
  return { keys, window: { start, end: Date.now() } };
}

/**
 * Compares Redis with what the model says must be there (wire format, rules 2, 3 and 5):
 * exactly the live links' keys with their pod and kind (TTL or not), each uid hash naming
 * exactly its live links, persistent while one of them is and otherwise living at least as
 * long as the longest; pod states, weights and workload states. With `allowStaleFields`
 * (short TTLs), a uid hash may still name a link that expired on its own while a longer-lived
 * link keeps the hash alive: reads skip it, and the next write on the uid drops it.
 * Returns why it differs, or `undefined`.
 */
export function compareStorage(
  ns: string,
  expected: ExpectedStorage,
  actual: StorageSnapshot,
  allowStaleFields: boolean,
): string | undefined {
  const seen = new Set<string>();
  const take = (name: string): StoredKey | undefined => {
    seen.add(name);
    return actual.keys.get(name);
  };
  for (const [uid, links] of expected.uids) {
    const hashName = `sf:{${ns}:lk:${uid}}`;
    const hash = take(hashName);
    if (!hash || hash.type !== 'hash') return `${hashName}: missing (or not a hash) although ${uid} has live links`;
    const fields = hash.value as Record<string, string>;
    let anyPersistent = false;
    let longestPttl = 0;
    for (const [svc, link] of links) {
      const linkName = `${hashName}${svc}`;
      const stored = take(linkName);
      if (!stored || stored.value !== String(link.pod))
        return `${linkName}: ${JSON.stringify(stored?.value)} instead of ${link.pod}`;
      if (link.persistent !== (stored.pttl === -1))
        return `${linkName}: PTTL ${stored.pttl} for a ${link.persistent ? 'persistent' : 'temporary'} link`;
      if (fields[svc] !== String(link.pod))
        return `${hashName}: field ${svc} is ${JSON.stringify(fields[svc])}, the link says ${link.pod}`;
      anyPersistent ||= link.persistent;
      if (!link.persistent) longestPttl = Math.max(longestPttl, stored.pttl);
    }
    for (const field of Object.keys(fields)) {
      if (links.has(field)) continue;
      const stale = allowStaleFields && !actual.keys.has(`${hashName}${field}`);
      if (!stale) return `${hashName}: field ${field} names no live link`;
    }
    if (anyPersistent && hash.pttl !== -1) return `${hashName}: PTTL ${hash.pttl} although a persistent link exists`;
    if (!anyPersistent && (hash.pttl <= 0 || hash.pttl < longestPttl - (actual.window.end - actual.window.start) - 5)) {
      return `${hashName}: PTTL ${hash.pttl} shorter than its longest link (${longestPttl})`;
    }
  }
  for (const [kind, map] of [
    ['state', expected.states],
    ['weight', expected.weights],
  ] as const) {
    for (const [svc, pods] of map) {
      const name = kind === 'state' ? `sf:{${ns}:state:${svc}}` : `sf:{${ns}:state:${svc}}weight`;
      const stored = take(name);
      if (JSON.stringify(sortKeys(stored?.value as Record<string, string>)) !== JSON.stringify(sortKeys(pods))) {
        return `${name}: ${JSON.stringify(stored?.value)} instead of ${JSON.stringify(pods)}`;
      }
      if (stored?.pttl !== -1) return `${name}: has a TTL`;
    }
  }
  // Every pod report (state, weight) records its time in the liveness hash; removePod forgets it with the rest.
  for (const svc of new Set([...expected.states.keys(), ...expected.weights.keys()])) {
    const reported = new Set([
      ...Object.keys(expected.states.get(svc) ?? {}),
      ...Object.keys(expected.weights.get(svc) ?? {}),
    ]);
    if (reported.size === 0) continue;
    const name = `sf:{${ns}:state:${svc}}seen`;
    const stored = take(name)?.value as Record<string, string> | undefined;
    const pods = Object.keys(stored ?? {}).sort();
    if (JSON.stringify(pods) !== JSON.stringify([...reported].sort()))
      return `${name}: pods ${JSON.stringify(pods)} instead of ${JSON.stringify([...reported].sort())}`;
    if (pods.some((pod) => !/^\d{13}$/.test(stored![pod]))) return `${name}: ${JSON.stringify(stored)} is not ms times`;
    // Beside it, each reported pod's state and weight as the library left them (lua/includes/podEntries).
    const writesName = `sf:{${ns}:state:${svc}}writes`;
    const writes = (take(writesName)?.value ?? {}) as Record<string, string>;
    for (const pod of reported) {
      const entries = JSON.stringify([
        expected.states.get(svc)?.[pod] ?? false,
        expected.weights.get(svc)?.[pod] ?? false,
      ]);
      if (writes[pod] !== entries) return `${writesName}: pod ${pod} is ${writes[pod]} instead of ${entries}`;
    }
  }
  for (const [svc, state] of expected.workloads) {
    const name = `sf:{${ns}:workload:${svc}}`;
    const stored = take(name);
    if (stored?.value !== state) return `${name}: ${JSON.stringify(stored?.value)} instead of ${state}`;
  }
  const extra = [...actual.keys.keys()].filter((name) => !seen.has(name));
  if (extra.length > 0) return `keys that outlived their links or were never written: ${extra.join(', ')}`;
  return undefined;
}

function sortKeys(value: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(value ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * What must hold in Redis whatever the calls did (rules 2 and 3), for sequences the model could not
 * follow to the end: every link key is named by its uid hash with the same pod; every field of a hash
 * whose link key exists agrees with it; a hash has no TTL while one of its links is persistent, lives at
 * least as long as its longest temporary link otherwise, and never outlives all its links without a TTL.
 * Returns why it does not hold, or `undefined`.
 */
export function checkInvariants(ns: string, actual: StorageSnapshot): string | undefined {
  const readSlackMs = actual.window.end - actual.window.start + 5;
  const linkPattern = new RegExp(`^sf:\\{${ns}:lk:([^}]*)\\}(.+)$`);
  const linksOf = new Map<string, Array<{ svc: string; key: StoredKey }>>();
  for (const [name, key] of actual.keys) {
    const match = linkPattern.exec(name);
    if (!match) continue;
    const hashName = `sf:{${ns}:lk:${match[1]}}`;
    if (!linksOf.has(hashName)) linksOf.set(hashName, []);
    linksOf.get(hashName)!.push({ svc: match[2], key });
  }
  for (const [hashName, links] of linksOf) {
    const hash = actual.keys.get(hashName);
    if (!hash || hash.type !== 'hash') return `${hashName}: missing (or not a hash) although link keys exist`;
    const fields = hash.value as Record<string, string>;
    let anyPersistent = false;
    let longestPttl = 0;
    for (const { svc, key } of links) {
      if (fields[svc] !== key.value) {
        return `${hashName}${svc}: ${JSON.stringify(key.value)}, the hash says ${JSON.stringify(fields[svc])}`;
      }
      if (key.pttl === -1) anyPersistent = true;
      else longestPttl = Math.max(longestPttl, key.pttl);
    }
    if (anyPersistent && hash.pttl !== -1) return `${hashName}: PTTL ${hash.pttl} although a persistent link exists`;
    if (!anyPersistent && (hash.pttl === -1 || hash.pttl < longestPttl - readSlackMs)) {
      return `${hashName}: PTTL ${hash.pttl}, its longest link has ${longestPttl}`;
    }
  }
  for (const [name, key] of actual.keys) {
    if (!/^sf:\{[^}]*:lk:[^}]*\}$/.test(name) || linksOf.has(name)) continue;
    if (key.pttl === -1) return `${name}: a uid hash without any link key and without a TTL`;
  }
  return undefined;
}
