import { invalidParameter } from '../../core/errors/invalid-parameter';

/** Longer than any IANA zone name (the longest are about 30 characters). */
const MAX_TIME_ZONE_LENGTH = 64;
/** The shape of an IANA name (`Europe/Berlin`, `Etc/GMT+5`, `UTC`): refuses offsets such as `+02:00`. */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Throws INVALID_PARAMETER naming `field` unless `value` is an IANA time zone this runtime's tz data knows. */
export function assertTimeZone(operation: string, field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidParameter(operation, field, 'must be an IANA time zone such as "Europe/Berlin" or "UTC"', value);
  }
  if (value.length > MAX_TIME_ZONE_LENGTH || !IANA_NAME.test(value)) {
    throw invalidParameter(
      operation,
      field,
      'must be an IANA time zone name such as "Europe/Berlin" (letters, digits and _ + - /), ' +
        'not an offset such as "+02:00"',
      value,
    );
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw invalidParameter(operation, field, 'is not an IANA time zone known to this runtime', value);
  }
}
