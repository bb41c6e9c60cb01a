import { ErrorCode } from './error-code';
import { StatefulError } from './stateful.error';

/** A short rendering of a refused value for the message: long strings and lists are summarised. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 64 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

/** The `INVALID_PARAMETER` error of every feature: names the operation, the field, the rule and the value. */
export function invalidParameter(operation: string, field: string, rule: string, value: unknown): StatefulError {
  return new StatefulError(
    ErrorCode.INVALID_PARAMETER,
    `${operation}: invalid parameter "${field}": ${rule} (got ${describe(value)})`,
    { operation, field },
  );
}

/**
 * An `INVALID_PARAMETER` for a value of the wrong type, saying which: `must be an integer from 0 to 10, got a
 * string ("100")` (an environment variable passed as it is reads at once for what it is).
 */
export function wrongTypeParameter(operation: string, field: string, rule: string, value: unknown): StatefulError {
  const type = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return new StatefulError(
    ErrorCode.INVALID_PARAMETER,
    `${operation}: invalid parameter "${field}": ${rule}, got ${type} (${describe(value)})`,
    { operation, field },
  );
}
