/*
 * The data every implementation works on, and the inputs of every operation, computed once so
 * that each implementation gets exactly the same sequence of calls.
 */
import { mulberry32 } from '../test/harness/prng';

/** Each implementation works on its own copy of the data, so that one's writes never change what another reads. */
export function namespaceFor(implementation: string): string {
  return `bench-${implementation.replace(/\W+/g, '-')}`;
}
export const SERVICE = 'game';
export const OTHER_SERVICE = 'chat';
export const KEY_PREFIX = 'sf';
/** Users linked before the run: the population of every read and of the gateway mix. */
export const USERS = 100_000;
/** Users that get a second link (to `OTHER_SERVICE`), so that `getLinkService` returns two entries for some. */
export const USERS_WITH_TWO_LINKS = 10_000;
export const PODS = 8;
/** Linger window of `removeLinkedPod` in the benchmark: the link stays, temporary. */
export const LINGER_SECONDS = 3_600;
/** uids per `batchGetLinkedPod` call. */
const BATCH_SIZE = 1_000;
/** The gateway's hot set: 95 % of its reads are for these users (e.g. those connected now). */
const HOT_USERS = 2_000;
const HOT_SHARE = 0.95;

export const uids: readonly string[] = Array.from({ length: USERS }, (_, i) => `user-${i}`);

/** The pod a user is linked to when seeded. */
export function seededPod(index: number): number {
  return index % PODS;
}

const TABLE_SIZE = 1 << 17;
const TABLE_MASK = TABLE_SIZE - 1;

/** Uniformly drawn user indexes. */
const uniform = new Uint32Array(TABLE_SIZE);
/** User indexes of the gateway mix: 95 % of its reads in the hot set, its writes anywhere. */
const gatewayUsers = new Uint32Array(TABLE_SIZE);
/** Operation of the gateway mix: 0 getLinkedPod (90 %), 1 computeLinkedPodIfAbsent (5 %), 2 removeLinkedPod (5 %). */
const gatewayKinds = new Uint8Array(TABLE_SIZE);
{
  const random = mulberry32(20_250_101);
  for (let i = 0; i < TABLE_SIZE; i++) {
    uniform[i] = Math.floor(random() * USERS);
    const draw = random();
    gatewayKinds[i] = draw < 0.9 ? 0 : draw < 0.95 ? 1 : 2;
    // Reads go 95 % to the hot set (the users connected now); connects and disconnects to anyone.
    const hot = gatewayKinds[i] === 0 && random() < HOT_SHARE;
    gatewayUsers[i] = hot ? Math.floor(random() * HOT_USERS) : Math.floor(random() * USERS);
  }
}

export const GATEWAY_GET = 0;
export const GATEWAY_COMPUTE = 1;
// Kind 2: a remove (the rest of the mix).

/** The user index of call number `i` of an operation on random users. */
export function userAt(i: number): number {
  return uniform[i & TABLE_MASK];
}

export function gatewayUserAt(i: number): number {
  return gatewayUsers[i & TABLE_MASK];
}

export function gatewayKindAt(i: number): number {
  return gatewayKinds[i & TABLE_MASK];
}

/** The uids of batch call number `i`: `BATCH_SIZE` consecutive users from a random start. */
export function batchAt(i: number): string[] {
  const start = uniform[i & TABLE_MASK] % (USERS - BATCH_SIZE);
  return uids.slice(start, start + BATCH_SIZE);
}
