import { invalidParameter } from '../../core/errors/invalid-parameter';
import { isPlainObject } from '../../core/validation/guards';

const MAX_POD_ID = 2 ** 31 - 1;
const MAX_PERSIST_SECONDS = 2 ** 31 - 1;
const MAX_NAMESPACE_LENGTH = 253;
const MAX_NAME_LENGTH = 512;
const MAX_STATE_LENGTH = 256;

// Control characters (C0, DEL, C1). Braces would move the hash tag and make two names collide.
const FORBIDDEN_IN_NAME = /[{}\p{Cc}]/u;
const NAME_RULE = "must not contain '{', '}' or control characters";
const FORBIDDEN_IN_NAMESPACE = /[:{}\s\p{Cc}]/u;

/*
 * Hand-written rather than class-validator: these checks run on every call of the hot path,
 * where a decorator-driven validation would cost more than the Redis round trip's client side.
 */

/** Code points, so that a name of 512 emoji is as valid as one of 512 letters. */
function lengthInCodePoints(value: string, limit: number): number {
  // A UTF-16 length within the limit is within it in code points too; count only when it matters.
  if (value.length <= limit) return value.length;
  let count = 0;
  for (const _ of value) count++;
  return count;
}

function assertText(
  operation: string,
  field: string,
  value: unknown,
  maxLength: number,
  forbidden: RegExp | undefined,
  rule: string,
): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalidParameter(operation, field, 'must be a non-empty string', value);
  if (lengthInCodePoints(value, maxLength) > maxLength) {
    throw invalidParameter(operation, field, `must be at most ${maxLength} characters`, value);
  }
  // A lone surrogate is not valid UTF-8: Redis would store U+FFFD and two names would collide.
  if (!value.isWellFormed()) throw invalidParameter(operation, field, 'must be well-formed Unicode', value);
  if (forbidden?.test(value)) throw invalidParameter(operation, field, rule, value);
}

/** Service names and uids: the same length limit and the same forbidden characters. */
function assertName(operation: string, field: string, value: unknown): asserts value is string {
  assertText(operation, field, value, MAX_NAME_LENGTH, FORBIDDEN_IN_NAME, NAME_RULE);
}

/*
 * An app passes the same few namespaces and service names on every call: the last valid one of
 * each is remembered, and a string equal to it (strings are immutable) needs no new check.
 */
let lastValidNamespace: string | undefined;
let lastValidServiceName: string | undefined;

export function assertNamespace(operation: string, value: unknown, field = 'namespace'): asserts value is string {
  if (value === lastValidNamespace && value !== undefined) return;
  assertText(
    operation,
    field,
    value,
    MAX_NAMESPACE_LENGTH,
    FORBIDDEN_IN_NAMESPACE,
    "must not contain ':', '{', '}', whitespace or control characters",
  );
  lastValidNamespace = value;
}

export function assertServiceName(operation: string, value: unknown, field = 'serviceName'): asserts value is string {
  if (value === lastValidServiceName && value !== undefined) return;
  assertName(operation, field, value);
  lastValidServiceName = value;
}

export function assertUid(operation: string, value: unknown, field = 'uid'): asserts value is string {
  assertName(operation, field, value);
}

export function assertState(operation: string, value: unknown, field = 'state'): asserts value is string {
  assertText(operation, field, value, MAX_STATE_LENGTH, undefined, '');
}

export function assertPodId(operation: string, value: unknown): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_POD_ID) {
    throw invalidParameter(operation, 'podId', `must be an integer from 0 to ${MAX_POD_ID}`, value);
  }
}

/** A service's arguments, checked in this order: namespace, service name. */
export function assertServiceRef(operation: string, namespace: unknown, serviceName: unknown): void {
  assertNamespace(operation, namespace);
  assertServiceName(operation, serviceName);
}

/** A pod's arguments, checked in this order: namespace, service name, pod id. */
export function assertPodRef(operation: string, namespace: unknown, serviceName: unknown, podId: unknown): void {
  assertServiceRef(operation, namespace, serviceName);
  assertPodId(operation, podId);
}

/** A link's arguments, checked in this order: namespace, uid, service name. */
export function assertLinkRef(operation: string, namespace: unknown, uid: unknown, serviceName: unknown): void {
  assertNamespace(operation, namespace);
  assertUid(operation, uid);
  assertServiceName(operation, serviceName);
}

export function assertWeight(operation: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalidParameter(operation, 'weight', 'must be an integer >= 0', value);
  }
}

/** For set operations: -1 (persistent) or 1 ... 2^31-1 seconds (temporary). */
export function assertLinkTtl(operation: string, value: unknown): asserts value is number {
  if (value !== -1 && (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PERSIST_SECONDS)) {
    throw invalidParameter(
      operation,
      'persistSeconds',
      `must be -1 (persistent) or an integer from 1 to ${MAX_PERSIST_SECONDS}`,
      value,
    );
  }
}

/** For remove operations: <= 0 deletes now, 1 ... 2^31-1 keeps a temporary link that long. */
export function assertLingerTtl(operation: string, value: unknown, field = 'persistSeconds'): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) > MAX_PERSIST_SECONDS) {
    throw invalidParameter(
      operation,
      field,
      `must be an integer <= ${MAX_PERSIST_SECONDS} (<= 0 removes at once)`,
      value,
    );
  }
}

type ElementAssertion = (operation: string, element: unknown, field: string) => void;

/** Checks an array argument and every element of it; returns a copy of it (repeats kept). */
export function assertList(
  operation: string,
  field: string,
  value: unknown,
  assertElement: ElementAssertion,
): string[] {
  if (!Array.isArray(value)) throw invalidParameter(operation, field, 'must be an array', value);
  for (let index = 0; index < value.length; index++) {
    const element = value[index];
    try {
      assertElement(operation, element, field);
    } catch {
      // Only a bad element gets its own field name (`uids[3]`): no string is built per element.
      assertElement(operation, element, `${field}[${index}]`);
    }
  }
  return value.slice() as string[];
}

/** Checks an array argument and every element of it; returns the elements without repeats, in input order. */
export function assertDistinctList(
  operation: string,
  field: string,
  value: unknown,
  assertElement: ElementAssertion,
): string[] {
  const list = assertList(operation, field, value, assertElement);
  const distinct = new Set(list);
  // Without repeats (the usual case) the copy is the answer.
  return distinct.size === list.length ? list : [...distinct];
}

/** An options argument: absent (`undefined`) or a plain object; returns it, `{}` when absent. */
export function assertOptionsObject<T extends object>(operation: string, value: unknown, field = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParameter(operation, field, 'must be an object', value);
  return value as T;
}

/**
 * The `asPodReport` flag of `setServiceState` / `batchSetServiceState` options; `byDefault` when absent (a pod
 * reports its own state with `setServiceState`; a controller writes many with `batchSetServiceState`).
 */
export function assertAsPodReport(operation: string, options: unknown, byDefault: boolean): boolean {
  const { asPodReport = byDefault } = assertOptionsObject<{ asPodReport?: unknown }>(operation, options);
  if (typeof asPodReport !== 'boolean')
    throw invalidParameter(operation, 'options.asPodReport', 'must be a boolean', asPodReport);
  return asPodReport;
}

/** A count limit: an integer from 1 to `max`. */
export function assertLimit(operation: string, field: string, value: unknown, max: number): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw invalidParameter(operation, field, `must be an integer from 1 to ${max}`, value);
  }
}

/** A pod id written as an object key: the canonical decimal form of a pod id ("0", "7", not "07" or "-1"). */
function isPodIdKey(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) <= MAX_POD_ID;
}

/**
 * `{ service: { podId: state } }` of batchSetServiceState, checked as a whole (each service name, pod id and
 * state, the field naming the entry: `states["svc"]["3"]`); returns it as `[service, [podId, state, ...]]` pairs.
 */
export function assertServiceStates(operation: string, value: unknown): Array<[string, string[]]> {
  if (!isPlainObject(value))
    throw invalidParameter(operation, 'states', 'must be an object { service: { podId: state } }', value);
  const services: Array<[string, string[]]> = [];
  for (const [serviceName, pods] of Object.entries(value)) {
    const field = `states[${JSON.stringify(serviceName)}]`;
    assertServiceName(operation, serviceName, field);
    if (!isPlainObject(pods)) throw invalidParameter(operation, field, 'must be an object { podId: state }', pods);
    const pairs: string[] = [];
    for (const [podId, state] of Object.entries(pods)) {
      const podField = `${field}[${JSON.stringify(podId)}]`;
      if (!isPodIdKey(podId))
        throw invalidParameter(
          operation,
          podField,
          `must be keyed by a pod id (an integer from 0 to ${MAX_POD_ID})`,
          podId,
        );
      assertState(operation, state, podField);
      pairs.push(podId, state);
    }
    services.push([serviceName, pairs]);
  }
  return services;
}

/** The marks given back to the sweep steps (from `markSilentPods`): an array of `{ serviceName, podId, markedAt }`. */
export function assertSilentPodMarks(
  operation: string,
  value: unknown,
  name = 'marks',
): Array<{ serviceName: string; podId: number; markedAt: number }> {
  if (!Array.isArray(value)) throw invalidParameter(operation, name, 'must be an array', value);
  value.forEach((mark: unknown, index) => {
    const field = name === 'marks' ? `marks[${index}]` : name;
    const { serviceName, podId, markedAt } = assertOptionsObject<Record<string, unknown>>(operation, mark, field);
    if (mark === undefined) throw invalidParameter(operation, field, 'must be an object', mark);
    assertServiceName(operation, serviceName, `${field}.serviceName`);
    if (!Number.isInteger(podId) || (podId as number) < 0 || (podId as number) > MAX_POD_ID)
      throw invalidParameter(operation, `${field}.podId`, `must be an integer from 0 to ${MAX_POD_ID}`, podId);
    if (!Number.isSafeInteger(markedAt) || (markedAt as number) < 0)
      throw invalidParameter(
        operation,
        `${field}.markedAt`,
        'must be an integer >= 0 (ms, from markSilentPods)',
        markedAt,
      );
  });
  return value as Array<{ serviceName: string; podId: number; markedAt: number }>;
}
