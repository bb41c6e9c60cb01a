import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';
import { NO_POD } from '../routing.constants';

/** A pod id as stored (decimal string), or `NO_POD` for a missing link. */
export function parsePodId(value: unknown, operation: string): number {
  if (value === null || value === undefined) return NO_POD;
  const podId = Number(value);
  if (!Number.isInteger(podId) || podId < 0) {
    throw new StatefulError(ErrorCode.REDIS_OPERATION_ERROR, `${operation}: Redis holds "${String(value)}" where a pod id was expected`, { operation });
  }
  return podId;
}

/**
 * `parsePodId` of a value read as a Buffer: plain decimal digits (what every implementation
 * writes) are read straight from the bytes; anything else goes through `parsePodId` as a string,
 * so that the answer and the error are the same.
 */
export function parsePodIdBuffer(value: Buffer | null | undefined, operation: string): number {
  if (value === null || value === undefined) return NO_POD;
  const length = value.length;
  if (length === 0 || length > 10) return parsePodId(value.toString(), operation);
  let podId = 0;
  for (let i = 0; i < length; i++) {
    const digit = value[i] - 48;
    if (digit < 0 || digit > 9) return parsePodId(value.toString(), operation);
    podId = podId * 10 + digit;
  }
  return podId;
}

/** Sets `record[key]`, also for a key like `__proto__` that plain assignment would not store. */
export function setEntry<V>(record: Record<string, V>, key: string, value: V): void {
  // `__proto__` is the one accessor of Object.prototype: any other key is stored by plain assignment, much faster.
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** `{ pod id -> text }` from a flat `[pod id, text, ...]` reply. */
export function parsePodMap(reply: unknown, operation: string): Record<number, string> {
  const flat = reply as string[];
  const result: Record<number, string> = {};
  for (let i = 0; i < flat.length; i += 2) result[parsePodId(flat[i], operation)] = flat[i + 1];
  return result;
}

/** `{ service -> pod id }` from a flat `[service, pod id, ...]` reply. */
export function parseServiceLinks(reply: unknown, operation: string): Record<string, number> {
  const flat = reply as string[];
  const result: Record<string, number> = {};
  for (let i = 0; i < flat.length; i += 2) setEntry(result, flat[i], parsePodId(flat[i + 1], operation));
  return result;
}
