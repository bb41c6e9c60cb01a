import { getMetadataStorage, validateSync } from 'class-validator';
import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';
import { isOptionsObject } from '../validation/guards';
import { assertKnownOptions, OptionShape } from './known-options';
import { optionErrorReasons } from './option-error-reasons';

/** How a module's options are checked: its class-validator schema, which also holds the defaults. */
export interface ModuleOptionsSpec<Resolved extends object> {
  /**
   * The options as class-validator sees them, every message naming its option. Its decorated properties are the
   * known options, and the initial values of its properties are the defaults.
   */
  schema: new () => Resolved;
  /** The keys known inside an option whose value is an object (e.g. `{ nearCache: { maxEntries: true } }`). */
  nested?: OptionShape;
  /**
   * Properties of the schema that check several options at once (no option of their own), and the field an error
   * of theirs names: `{ connection: 'redis|cluster|client' }`.
   */
  crossChecks?: { readonly [property: string]: string };
}

/** The options a schema knows: its decorated properties, those that check several options at once left out. */
function knownOptions(schema: new () => object, crossChecks: { readonly [property: string]: string }): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false);
  return [...new Set(metadata.map((rule) => rule.propertyName))].filter((name) => !Object.hasOwn(crossChecks, name));
}

/**
 * Checks the options of `owner` (e.g. `DistributedScheduleModule`) and applies the defaults, in this order: an
 * object; no unknown key (with a "did you mean"); every value valid (every broken rule in one message); then the
 * schema's defaults for the options not given (`undefined`, or `null` where the schema allows it). A bad option
 * stops the app with an INVALID_PARAMETER `StatefulError` naming it.
 */
export function resolveModuleOptions<Resolved extends object>(
  owner: string,
  given: unknown,
  { schema, nested = {}, crossChecks = {} }: ModuleOptionsSpec<Resolved>,
): Resolved {
  if (!isOptionsObject(given)) {
    throw new StatefulError(ErrorCode.INVALID_PARAMETER, `Invalid ${owner} options: "options" must be an object`, {
      field: 'options',
    });
  }
  const known = knownOptions(schema, crossChecks);
  assertKnownOptions(given, Object.fromEntries(known.map((key) => [key, nested[key] ?? true])), owner);
  // Each option read as `given.name`, as an app reads its own: a config class may hold them in getters.
  const givenValues = Object.fromEntries(known.map((key) => [key, (given as Record<string, unknown>)[key]]));
  const options = Object.assign(
    new schema(),
    definedEntries(givenValues, (value) => value !== undefined),
  );
  const errors = validateSync(options, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const fields = errors.map((error) =>
      Object.hasOwn(crossChecks, error.property) ? crossChecks[error.property] : error.property,
    );
    throw new StatefulError(
      ErrorCode.INVALID_PARAMETER,
      `Invalid ${owner} options: ${optionErrorReasons(errors).join('; ')}`,
      { field: fields.join(',') },
    );
  }
  // An optional option set to null is not given either (the schema refuses null where it is not optional).
  return {
    ...Object.assign(
      new schema(),
      definedEntries(options, (value) => value != null),
    ),
  };
}

/** The entries of `object` whose value passes `keep`, as an object. */
function definedEntries(object: object, keep: (value: unknown) => boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => keep(value)));
}
