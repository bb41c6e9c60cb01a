/**
 * The type guards the library's checks share. Two meanings, two names: an options object may be a class
 * instance (a validated DTO); a plain object is what a literal or `JSON.parse` makes, and nothing else.
 */

/** An options object: a plain object or a class instance (a validated DTO), not an array or null. */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object: made by a literal, `JSON.parse` or `Object.create(null)`; not an array or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isOptionsObject(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
