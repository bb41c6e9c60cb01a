/**
 * How many keys a script takes, as its header documents them: exactly that many, or `'1..n'` for one or more
 * (`KEYS[1..n]`).
 */
export type KeyCount = number | '1..n';

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

/** The keys of a call to a script taking `K` keys: a tuple of that length, or at least one key for `'1..n'`. */
export type KeysOf<K extends KeyCount> = K extends number ? Tuple<K> : [string, ...string[]];

/** Why a call with `given` keys is refused, or `undefined` when the script takes that many. */
export function keyCountMismatch(script: LuaScript, given: number): string | undefined {
  if (script.keys === '1..n' ? given >= 1 : given === script.keys) return undefined;
  const expected = script.keys === '1..n' ? 'one or more keys' : `${script.keys} key(s)`;
  return `nestjs-stateful-redis: Lua script "${script.name}" takes ${expected}, called with ${given}`;
}
