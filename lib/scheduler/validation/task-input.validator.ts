import { invalidParameter, wrongTypeParameter } from '../../core/errors/invalid-parameter';
import { assertKnownOptions, OptionAliases, OptionShape } from '../../core/options/known-options';
import { isOptionsObject, isPlainObject } from '../../core/validation/guards';
import { CronSchedule } from '../cron/cron-schedule';
import type { AddTaskInput, TaskSource, UpdateTaskPatch } from '../interfaces/scheduled-task.interface';
import { SCHEDULER_LIMITS as LIMITS } from '../options/scheduler-limits';
import { PATCHABLE_FIELDS, TASK_DEFAULTS, TaskDefinition } from './task-definition';

const OVERLAP_POLICIES = ['skip', 'bufferOne', 'allow'];
const MISFIRE_POLICIES = ['runOnce', 'skip'];
/** Braces would move a key's hash tag; control characters break logs and keys. */
const FORBIDDEN_IN_NAME = /[{}\p{Cc}]/u;

const RETRY_SHAPE: OptionShape = { attempts: true, backoffMs: true };
const TASK_OPTION_SHAPE: OptionShape = {
  name: true,
  timeZone: true,
  enabled: true,
  overlap: true,
  misfire: true,
  misfireGraceMs: true,
  retry: RETRY_SHAPE,
  maxConsecutiveFailures: true,
  jitterMs: true,
  leaseMs: true,
};
/** The names @nestjs/schedule (`disabled`) and BullMQ (`tz`, `pattern`, `attempts`, `backoff`, `data`) give options. */
const TASK_OPTION_ALIASES: OptionAliases = {
  disabled: 'enabled: false',
  tz: 'timeZone',
  pattern: 'cron',
  attempts: 'retry: { attempts }',
  retries: 'retry: { attempts }',
  maxretries: 'retry: { attempts }',
  backoff: 'retry: { backoffMs }',
  data: 'payload',
};
const ADD_TASK_SHAPE: OptionShape = { ...TASK_OPTION_SHAPE, id: true, cron: true, workflow: true, payload: true };
const PATCH_SHAPE: OptionShape = Object.fromEntries(PATCHABLE_FIELDS.map((field) => [field, ADD_TASK_SHAPE[field]]));

/** Code points, so that a name of 512 emoji is as valid as one of 512 letters. */
function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** A task id or name: 1–512 characters, well-formed, no `{`, `}` or control characters. */
export function assertTaskName(operation: string, field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalidParameter(operation, field, 'must be a non-empty string', value);
  if (value.length > LIMITS.maxNameLength && codePoints(value) > LIMITS.maxNameLength) {
    throw invalidParameter(operation, field, `must be at most ${LIMITS.maxNameLength} characters`, value);
  }
  if (!value.isWellFormed()) throw invalidParameter(operation, field, 'must be well-formed Unicode', value);
  if (FORBIDDEN_IN_NAME.test(value))
    throw invalidParameter(operation, field, "must not contain '{', '}' or control characters", value);
}

function assertInteger(
  operation: string,
  field: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  const rule = `must be an integer from ${min} to ${max}`;
  if (typeof value === 'string') throw wrongTypeParameter(operation, field, rule, value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(operation, field, rule, value);
  }
}

function assertOneOf(operation: string, field: string, value: unknown, allowed: string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidParameter(operation, field, `must be one of ${allowed.map((item) => `'${item}'`).join(', ')}`, value);
  }
}

const JSON_RULE = 'must be JSON (plain objects, arrays, strings, finite numbers, booleans, null)';
const TEXT_RULE = 'must hold well-formed Unicode text (every string, keys included)';
const DEPTH_RULE = `must be nested at most ${LIMITS.maxPayloadDepth} levels deep (arrays and objects in one another)`;

/**
 * The rule `value` breaks first, and where (a path like `payload.items[2]`), or undefined for a payload: JSON
 * through and through, at most `maxPayloadDepth` levels deep (so the walk never goes deeper either).
 */
function payloadFault(value: unknown, path: string, depth: number, seen: Set<object>): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  // A lone surrogate has no UTF-8 form: Redis's JSON decoder refuses it, so the task could never be updated.
  if (typeof value === 'string')
    return value.isWellFormed() ? undefined : `${TEXT_RULE}; ${path} holds a lone surrogate (half a UTF-16 pair)`;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${JSON_RULE}; ${path} (${value}) is not`;
  if (typeof value !== 'object') return `${JSON_RULE}; ${path} (a ${typeof value}) is not`;
  if (seen.has(value)) return `${JSON_RULE}; ${path} (a circular reference) is not`;
  if (!Array.isArray(value) && !isPlainObject(value))
    return `${JSON_RULE}; ${path} (a ${value.constructor?.name ?? 'non-plain object'}) is not`;
  if (depth > LIMITS.maxPayloadDepth) return `${DEPTH_RULE}; it is nested deeper`;
  seen.add(value);
  // A hole of an array is visited (and refused, as undefined); JSON.stringify drops undefined properties: harmless,
  // the handler sees them absent either way.
  const items: Array<[string, unknown]> = Array.isArray(value)
    ? Array.from(value, (item, index) => [`${path}[${index}]`, item])
    : Object.entries(value).flatMap(([key, item]) => (item === undefined ? [] : [[`${path}.${key}`, item]]));
  if (!Array.isArray(value)) {
    const badKey = Object.keys(value).find((key) => !key.isWellFormed());
    if (badKey !== undefined) return `${TEXT_RULE}; a key of ${path} holds a lone surrogate (half a UTF-16 pair)`;
  }
  for (const [itemPath, item] of items) {
    const fault = payloadFault(item, itemPath, depth + 1, seen);
    if (fault !== undefined) return fault;
  }
  seen.delete(value);
  return undefined;
}

/**
 * A payload: JSON values only (what every replica reads back the same), bounded in depth and in size (64 KiB as UTF-8
 * JSON).
 */
function assertPayload(operation: string, value: unknown): void {
  const fault = payloadFault(value, 'payload', 1, new Set());
  if (fault !== undefined) throw invalidParameter(operation, 'payload', fault, value);
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > LIMITS.maxPayloadBytes) {
    throw invalidParameter(
      operation,
      'payload',
      `must be at most ${LIMITS.maxPayloadBytes} bytes as JSON (it is ${bytes})`,
      value,
    );
  }
}

function resolveRetry(operation: string, value: unknown, current: TaskDefinition['retry']): TaskDefinition['retry'] {
  if (!isOptionsObject(value))
    throw invalidParameter(operation, 'retry', 'must be an object { attempts?, backoffMs? }', value);
  const attempts = value.attempts ?? current.attempts;
  const backoffMs = value.backoffMs ?? current.backoffMs;
  assertInteger(operation, 'retry.attempts', attempts, 1, LIMITS.maxRetryAttempts);
  assertInteger(operation, 'retry.backoffMs', backoffMs, 0, LIMITS.maxRetryBackoffMs);
  return { attempts, backoffMs };
}

/**
 * Checks every field of `definition` (the result of applying defaults or a patch) and returns it with a retry
 * policy of its own; the cron expression is parsed in its time zone.
 */
function checkDefinition(operation: string, definition: TaskDefinition, retryGiven: unknown): TaskDefinition {
  assertTaskName(operation, 'id', definition.id);
  assertTaskName(operation, 'name', definition.name);
  if (typeof definition.timeZone !== 'string')
    throw invalidParameter(operation, 'timeZone', 'must be an IANA time zone name', definition.timeZone);
  CronSchedule.parse(definition.cron, definition.timeZone, { cron: 'cron', timeZone: 'timeZone' }, operation);
  assertTaskName(operation, 'workflow', definition.workflow);
  if (typeof definition.enabled !== 'boolean')
    throw invalidParameter(operation, 'enabled', 'must be a boolean', definition.enabled);
  assertOneOf(operation, 'overlap', definition.overlap, OVERLAP_POLICIES);
  assertOneOf(operation, 'misfire', definition.misfire, MISFIRE_POLICIES);
  assertInteger(operation, 'misfireGraceMs', definition.misfireGraceMs, 0, LIMITS.maxMisfireGraceMs);
  const retry =
    retryGiven === undefined ? { ...definition.retry } : resolveRetry(operation, retryGiven, definition.retry);
  assertInteger(
    operation,
    'maxConsecutiveFailures',
    definition.maxConsecutiveFailures,
    1,
    LIMITS.maxConsecutiveFailures,
  );
  assertInteger(operation, 'jitterMs', definition.jitterMs, 0, LIMITS.maxJitterMs);
  if (definition.leaseMs !== null)
    assertInteger(operation, 'leaseMs', definition.leaseMs, LIMITS.minLeaseMs, LIMITS.maxLeaseMs);
  assertPayload(operation, definition.payload);
  return { ...definition, retry };
}

/** Refuses what is not an object, and any key the options do not have ("did you mean"). */
function assertShape(
  operation: string,
  value: unknown,
  shape: OptionShape,
  what: string,
): asserts value is Record<string, unknown> {
  if (!isOptionsObject(value)) throw invalidParameter(operation, what, 'must be an object', value);
  assertKnownOptions(value, shape, operation, '', TASK_OPTION_ALIASES);
}

/**
 * Validates the input of `addTask` (or a `@DistributedCron` declaration) and applies the defaults. Throws
 * INVALID_PARAMETER naming the field; the workflow's existence is checked by the caller.
 */
export function validateNewTask(
  operation: string,
  input: AddTaskInput | unknown,
  source: TaskSource,
  generatedId: string,
): TaskDefinition {
  assertShape(operation, input, ADD_TASK_SHAPE, 'input');
  const given = input as Partial<AddTaskInput>;
  const definition: TaskDefinition = {
    id: given.id ?? generatedId,
    name: given.name as string,
    cron: given.cron as string,
    timeZone: given.timeZone ?? TASK_DEFAULTS.timeZone,
    workflow: given.workflow as string,
    payload: given.payload ?? null,
    enabled: given.enabled ?? TASK_DEFAULTS.enabled,
    source,
    overlap: given.overlap ?? TASK_DEFAULTS.overlap,
    misfire: given.misfire ?? TASK_DEFAULTS.misfire,
    misfireGraceMs: given.misfireGraceMs ?? TASK_DEFAULTS.misfireGraceMs,
    retry: { ...TASK_DEFAULTS.retry },
    maxConsecutiveFailures: given.maxConsecutiveFailures ?? TASK_DEFAULTS.maxConsecutiveFailures,
    jitterMs: given.jitterMs ?? TASK_DEFAULTS.jitterMs,
    leaseMs: given.leaseMs ?? null,
  };
  // Checked before the id, so that a missing name is reported as such even when the id is generated from it.
  assertTaskName(operation, 'name', definition.name);
  return checkDefinition(operation, definition, given.retry);
}

/** Validates a patch of `updateTask` against the current definition; returns the definition it makes. */
export function validatePatch(
  operation: string,
  current: TaskDefinition,
  patch: UpdateTaskPatch | unknown,
): TaskDefinition {
  assertShape(operation, patch, PATCH_SHAPE, 'patch');
  const given = patch as UpdateTaskPatch;
  const changed: Partial<TaskDefinition> = {};
  for (const field of PATCHABLE_FIELDS) {
    // `leaseMs: null` goes back to the module's lease, `payload: null` clears the payload.
    if (field === 'retry' || given[field] === undefined) continue;
    (changed as Record<string, unknown>)[field] = given[field];
  }
  return checkDefinition(operation, { ...current, ...changed }, given.retry);
}

/** Validates a `@DistributedCron(cron, options)` declaration: its id and workflow are its `name`. */
export function validateDecoratedTask(operation: string, cron: unknown, options: unknown): TaskDefinition {
  assertShape(operation, options, TASK_OPTION_SHAPE, 'options');
  assertTaskName(operation, 'name', options.name);
  return validateNewTask(
    operation,
    { ...options, cron, id: options.name, workflow: options.name },
    'decorator',
    options.name,
  );
}
