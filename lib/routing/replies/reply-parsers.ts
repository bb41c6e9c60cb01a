import { NO_POD } from '../routing.constants';

/** The largest pod id (2^31 - 1), the width of a Java int. */
const MAX_POD_ID = 2 ** 31 - 1;

/** Told about a stored value that is not a pod id, with the key that holds it. */
export type CorruptEntryReporter = (key: string, value: string) => void;

/**
 * The one rule for stored pod ids, on every path (lua/routing/includes/podId.lua applies it inside the scripts):
 * only a canonical decimal integer in 0..2^31-1 ("0", "7", "2147483647") is a pod id. Anything else
 * ("01", "", " 1", "1.0", "-1", "2147483648") is a corrupt entry, left by a manual fix or another
 * implementation: reads answer NO_POD (or leave it out) and report it, writes overwrite it, and no
 * compare-and-set or compare-and-delete matches it.
 * Returns the pod id, or undefined for a corrupt value.
 */
function canonicalPodId(value: string): number | undefined {
  const length = value.length;
  if (length === 0 || length > 10 || (length > 1 && value.charCodeAt(0) === 48)) return undefined;
  let podId = 0;
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    podId = podId * 10 + digit;
  }
  return podId <= MAX_POD_ID ? podId : undefined;
}

/** A stored pod id read at `key`: the pod, or `NO_POD` for no value or a corrupt one (reported). */
export function parsePodId(value: unknown, key: string, reportCorrupt: CorruptEntryReporter): number {
  if (value === null || value === undefined || value === false) return NO_POD;
  const text = String(value);
  const podId = canonicalPodId(text);
  if (podId !== undefined) return podId;
  reportCorrupt(key, text);
  return NO_POD;
}

/**
 * `parsePodId` of a value read as a Buffer: plain decimal digits (what every implementation writes) are
 * read straight from the bytes; anything else goes through `parsePodId` as a string, for the same answer.
 */
export function parsePodIdBuffer(
  value: Buffer | null | undefined,
  key: string,
  reportCorrupt: CorruptEntryReporter,
): number {
  if (value === null || value === undefined) return NO_POD;
  const length = value.length;
  const leadingZero = length > 1 && value[0] === 48;
  if (length === 0 || length > 10 || leadingZero) return parsePodId(value.toString(), key, reportCorrupt);
  let podId = 0;
  for (let i = 0; i < length; i++) {
    const digit = value[i] - 48;
    if (digit < 0 || digit > 9) return parsePodId(value.toString(), key, reportCorrupt);
    podId = podId * 10 + digit;
  }
  return podId <= MAX_POD_ID ? podId : parsePodId(value.toString(), key, reportCorrupt);
}

/** Sets `record[key]`, also for a key like `__proto__` that plain assignment would not store. */
export function setEntry<V>(record: Record<string, V>, key: string, value: V): void {
  // `__proto__` is the one accessor of Object.prototype: any other key is stored by plain assignment, much faster.
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** `{ pod id -> text }` from a flat `[pod id, text, ...]` reply of the hash at `key`; corrupt pod ids are left out. */
export function parsePodMap(reply: unknown, key: string, reportCorrupt: CorruptEntryReporter): Record<number, string> {
  const flat = reply as string[];
  const result: Record<number, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const podId = parsePodId(flat[i], key, reportCorrupt);
    if (podId !== NO_POD) result[podId] = flat[i + 1];
  }
  return result;
}

/**
 * `{ service -> pod id }` from a flat `[service, stored value, ...]` reply for the uid hash at `hashKey`;
 * a corrupt value is left out and reported with its link key (hashKey + service).
 */
export function parseServiceLinks(
  reply: unknown,
  hashKey: string,
  reportCorrupt: CorruptEntryReporter,
): Record<string, number> {
  const flat = reply as string[];
  const result: Record<string, number> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const podId = parsePodId(flat[i + 1], hashKey + flat[i], reportCorrupt);
    if (podId !== NO_POD) setEntry(result, flat[i], podId);
  }
  return result;
}
