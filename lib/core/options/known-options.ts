import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';
import { isPlainObject } from '../validation/guards';

/**
 * The keys an options object may have. `true`: any value (checked elsewhere, or passed through to ioredis);
 * a nested shape: the value's own keys are checked too when it is a plain object.
 */
export type OptionShape = { readonly [key: string]: true | OptionShape };

/** Edit distance (insert, delete, substitute one character). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known key closest to `key` (case ignored), if it is close enough to be what was meant. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * What other libraries call an option, by lowercased key, for the "did you mean" of a key no spelling
 * distance leads from (e.g. `{ attempts: 'retry: { attempts }' }`); top level only.
 */
export type OptionAliases = { readonly [lowercasedKey: string]: string };

/**
 * Stops on the first key of `options` (or of a nested object the shape describes) that `shape` does not
 * know: a misspelled option would otherwise be ignored and the app start without what was asked for.
 * `owner` names the options in the message (`Invalid StatefulRedisModule options: unknown option ...`).
 */
export function assertKnownOptions(
  options: object,
  shape: OptionShape,
  owner: string,
  path = '',
  aliases: OptionAliases = {},
): void {
  const known = Object.keys(shape);
  for (const [key, value] of Object.entries(options)) {
    const nested = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (nested === undefined) {
      const alias = path === '' && Object.hasOwn(aliases, key.toLowerCase()) ? aliases[key.toLowerCase()] : undefined;
      const suggestion = alias ?? closest(key, known);
      const hint =
        suggestion === undefined ? ` (known: ${known.join(', ')})` : ` — did you mean "${path}${suggestion}"?`;
      throw new StatefulError(
        ErrorCode.INVALID_PARAMETER,
        `Invalid ${owner} options: unknown option "${path}${key}"${hint}`,
        {
          field: `${path}${key}`,
        },
      );
    }
    if (nested !== true && isPlainObject(value)) assertKnownOptions(value, nested, owner, `${path}${key}.`);
  }
}
