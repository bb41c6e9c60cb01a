/**
 * How many keys a script takes, as its header documents them: exactly that many (`KEYS[1]` to `KEYS[n]`), or
 * `'F+Sn'` for `KEYS[1..F+Sn]`: F keys, then any number of groups of S (the scheduler's nine namespace keys, then
 * the due and pending keys of each workflow).
 */
export type KeyCount = number | `${number}+${number}n`;

/**
 * One Lua script, built from `lua/` with its includes inlined (tools/lua-scripts.cjs writes each feature's
 * `*-scripts.generated.ts`), ready for `SCRIPT LOAD` / `EVALSHA`.
 */
export interface LuaScript<N extends string = string, K extends KeyCount = KeyCount> {
  readonly name: N;
  readonly keys: K;
  readonly sha: string;
  readonly source: string;
}

type Tuple<K extends number, T extends string[] = []> = number extends K
  ? string[]
  : T['length'] extends K
    ? T
    : Tuple<K, [...T, string]>;

/** The keys of a call to a script taking `K` keys: a tuple of that length, or of F keys and more for `'F+Sn'`. */
export type KeysOf<K extends KeyCount> = K extends number
  ? Tuple<K>
  : K extends `${infer F extends number}+${number}n`
    ? [...Tuple<F>, ...string[]]
    : string[];

/** The fixed keys and the size of each further group (0: none) of a script's key count. */
function layoutOf(keys: KeyCount): { fixed: number; step: number } {
  if (typeof keys === 'number') return { fixed: keys, step: 0 };
  const [fixed, step] = keys.slice(0, -1).split('+').map(Number);
  return { fixed, step };
}

/**
 * The check of a call's key count against what `script` takes, its layout read once (the check runs on every call):
 * why a call with `given` keys is refused, or `undefined` when the script takes that many.
 */
export function keyCountCheck(script: LuaScript): (given: number) => string | undefined {
  const { fixed, step } = layoutOf(script.keys);
  const expected = step === 0 ? `${fixed} key(s)` : `${fixed} key(s) then groups of ${step}`;
  return (given) =>
    (step === 0 ? given === fixed : given >= fixed && (given - fixed) % step === 0)
      ? undefined
      : `nestjs-stateful-redis: Lua script "${script.name}" takes ${expected}, called with ${given}`;
}
