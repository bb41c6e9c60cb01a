import type { ValidationError } from 'class-validator';

/** The class-validator rules of a number option, and of a boolean one. */
const INTEGER_RULES = ['isInt', 'min', 'max'];
const BOOLEAN_RULES = ['isBoolean'];

/** A short rendering of a refused string: long ones are summarised. */
function quoted(value: string): string {
  return value.length > 64 ? `of ${value.length} characters` : JSON.stringify(value);
}

/**
 * The reasons class-validator gives for refused module options, one per rule broken. A string where an
 * integer or a boolean belongs (an environment variable passed as it is) gets one reason that says so, not
 * every rule of a number it is not: `"commandTimeoutMs" must be an integer, got a string ("2000")`.
 */
export function optionErrorReasons(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => {
    const rules = Object.keys(error.constraints ?? {});
    if (typeof error.value === 'string') {
      const expected = rules.some((rule) => INTEGER_RULES.includes(rule))
        ? 'an integer'
        : rules.some((rule) => BOOLEAN_RULES.includes(rule))
          ? 'a boolean'
          : undefined;
      if (expected !== undefined)
        return [`"${error.property}" must be ${expected}, got a string (${quoted(error.value)}): convert it first`];
    }
    return Object.values(error.constraints ?? {});
  });
}
