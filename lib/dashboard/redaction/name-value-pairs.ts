import { isSecretName } from './secret-names';

/**
 * Keys that hold the name of a name/value pair, lower-cased without separators: Kubernetes env vars and HAR
 * headers (`{ name, value }`), AWS tags (`{ Key, Value }`), CloudFormation parameters (`ParameterKey`).
 */
const NAME_KEYS = new Set(['name', 'key', 'parameterkey', 'parametername', 'header', 'headername']);

/** Keys that hold the value of such a pair. */
const VALUE_KEYS = new Set(['value', 'values', 'parametervalue']);

/** A name in an array of names and values: a header or variable name, not a sentence. */
const NAME_ITEM = /^[A-Za-z0-9_.:-]{1,128}$/;

function folded(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The keys of `object` whose values are hidden because the object is a name/value pair named like a secret:
 * `value` in `{ name: 'DB_PASSWORD', value: '…' }`. Only the value keys: `{ name: 'auth-service', replicas: 3 }`
 * stays shown.
 */
export function pairValueKeys(object: Record<string, unknown>): Set<string> {
  const keys = Object.keys(object);
  const secretName = keys.some((key) => {
    const name = object[key];
    return NAME_KEYS.has(folded(key)) && typeof name === 'string' && isSecretName(name);
  });
  return new Set(secretName ? keys.filter((key) => VALUE_KEYS.has(folded(key))) : []);
}

/**
 * The indexes of the items of `array` hidden as values of names that look secret, when the array alternates
 * names and values: a `[name, value]` pair (`[...headers.entries()]`), Node's `rawHeaders`.
 */
export function pairValueIndexes(array: readonly unknown[]): Set<number> {
  const indexes = new Set<number>();
  if (array.length === 0 || array.length % 2 !== 0) return indexes;
  for (let index = 0; index < array.length; index += 2) {
    const name = array[index];
    if (typeof name !== 'string' || !NAME_ITEM.test(name)) return new Set();
    if (isSecretName(name)) indexes.add(index + 1);
  }
  return indexes;
}
