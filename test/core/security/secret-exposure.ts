import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { CapturingLogger } from '../../harness/capturing-logger';

/**
 * Where `secret` can be read from `root`: every own property (non-enumerable and symbol keys
 * included, getters read), array item, Buffer or typed array, Map and Set entry, at any depth.
 */
function pathsHolding(root: unknown, secret: string): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (value.includes(secret)) found.push(path);
      return;
    }
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (Buffer.from(value.buffer, value.byteOffset, value.byteLength).includes(secret)) found.push(path);
      return;
    }
    if (value instanceof Map) {
      for (const [key, entry] of value) {
        visit(key, `${path}.<key>`);
        visit(entry, `${path}.get(${String(key)})`);
      }
    }
    if (value instanceof Set) for (const entry of value) visit(entry, `${path}.<entry>`);
    for (const key of Reflect.ownKeys(value)) {
      let property: unknown;
      try {
        property = Reflect.get(value, key);
      } catch {
        continue; // a getter that throws holds nothing readable
      }
      visit(property, `${path}.${String(key)}`);
    }
  };
  visit(root, 'error');
  return found;
}

/** `JSON.stringify` as a logger would do it: errors with their non-enumerable fields, cycles cut, Buffers as text. */
function jsonOf(root: unknown): string {
  const seen = new WeakSet<object>();
  const json: string | undefined = JSON.stringify(root, function (_key, value: unknown) {
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    const asBuffer = value as { type?: unknown; data?: unknown };
    if (asBuffer.type === 'Buffer' && Array.isArray(asBuffer.data)) {
      return Buffer.from(asBuffer.data as number[]).toString('latin1');
    }
    if (value instanceof Error) {
      const record = value as unknown as Record<string, unknown>;
      const fields = Object.getOwnPropertyNames(value).map((key) => [key, record[key]]);
      return Object.fromEntries([['name', value.name], ...fields]);
    }
    return value;
  });
  return json ?? '';
}

/** Every way an app could look at an error: its properties, `util.inspect`, JSON, and (if given) the captured logs. */
function exposuresOf(error: unknown, secret: string, logger?: CapturingLogger): string[] {
  const places = pathsHolding(error, secret);
  const texts: Array<[string, string]> = [
    ['util.inspect(depth 20)', inspect(error, { depth: 20 })],
    ['util.inspect(depth 20, showHidden, getters)', inspect(error, { depth: 20, showHidden: true, getters: true })],
    ['JSON.stringify', jsonOf(error)],
    ['String(error)', String(error)],
  ];
  if (logger) texts.push(['captured logs', logger.allText()]);
  for (const [where, text] of texts) if (text.includes(secret)) places.push(where);
  return places;
}

/** Fails with the places and the full `util.inspect` of the error when `secret` can be read anywhere. */
export function assertSecretNowhere(error: unknown, secret: string, logger?: CapturingLogger): void {
  const places = exposuresOf(error, secret, logger);
  assert.deepEqual(
    places,
    [],
    `the password can be read at ${places.join(', ')}:\n${inspect(error, { depth: 20, showHidden: true })}` +
      (logger ? `\nlogs:\n${logger.allText()}` : ''),
  );
}
