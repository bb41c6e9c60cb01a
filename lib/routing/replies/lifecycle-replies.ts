import type { PodReport } from '../interfaces/pod-report.interface';
import type { UserLink } from '../interfaces/user-link.interface';
import { NO_POD } from '../routing.constants';
import { CorruptEntryReporter, parsePodId } from './reply-parsers';

/** An integer as stored by HSET/HINCRBY, or `null` for anything else. */
function storedInteger(value: string | undefined): number | null {
  if (value === undefined) return null;
  const number = Number(value);
  return value.length > 0 && Number.isSafeInteger(number) ? number : null;
}

/**
 * `PodReport`s, sorted by pod id, from statefulGetPods' reply `{ states, weights, last reports, now, pods
 * written over }` (flat hashes) of the hashes at `keys`; corrupt pod ids are left out and reported. `timeoutMs`: the
 * podLiveness timeout, `undefined` when liveness is off (every pod is live).
 */
export function parsePodReports(
  reply: unknown,
  keys: { states: string; weights: string; seen: string },
  timeoutMs: number | undefined,
  reportCorrupt: CorruptEntryReporter,
): PodReport[] {
  const [states, weights, seen, now, overwritten] = reply as [string[], string[], string[], number, string[]];
  // Entries written since by another implementation: the last report is not the pod's own any more.
  const notOwn = new Set(overwritten);
  const pods = new Map<number, PodReport>();
  const podOf = (field: string, key: string): PodReport | undefined => {
    const podId = parsePodId(field, key, reportCorrupt);
    if (podId === NO_POD) return undefined;
    let pod = pods.get(podId);
    if (pod === undefined) {
      pod = { podId, state: null, weight: null, lastSeenAt: null, live: true };
      pods.set(podId, pod);
    }
    return pod;
  };
  for (let i = 0; i < states.length; i += 2) {
    const pod = podOf(states[i], keys.states);
    if (pod) pod.state = states[i + 1];
  }
  for (let i = 0; i < weights.length; i += 2) {
    const pod = podOf(weights[i], keys.weights);
    if (pod) pod.weight = storedInteger(weights[i + 1]);
  }
  for (let i = 0; i < seen.length; i += 2) {
    const pod = podOf(seen[i], keys.seen);
    if (!pod || notOwn.has(seen[i])) continue;
    pod.lastSeenAt = storedInteger(seen[i + 1]);
    pod.live = pod.lastSeenAt === null || timeoutMs === undefined || now - pod.lastSeenAt <= timeoutMs;
  }
  return [...pods.values()].sort((a, b) => a.podId - b.podId);
}

/**
 * `UserLink`s, sorted by service name, from statefulGetUserLinks' flat reply `[service, stored value, PTTL, ...]`
 * for the uid hash at `hashKey`; a corrupt value is left out and reported with its link key (hashKey + service).
 */
export function parseUserLinks(reply: unknown, hashKey: string, reportCorrupt: CorruptEntryReporter): UserLink[] {
  const flat = reply as Array<string | number>;
  const links: UserLink[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const serviceName = String(flat[i]);
    const podId = parsePodId(flat[i + 1], hashKey + serviceName, reportCorrupt);
    const pttl = Number(flat[i + 2]);
    if (podId !== NO_POD) links.push({ serviceName, podId, ttlMs: pttl === -1 ? null : Math.max(0, pttl) });
  }
  return links.sort((a, b) => (a.serviceName < b.serviceName ? -1 : a.serviceName > b.serviceName ? 1 : 0));
}
