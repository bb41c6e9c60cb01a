import assert from 'node:assert/strict';

/*
 * Static reading of Lua script sources, for the tests that check each feature's scripts (which keys they touch,
 * which KEYS and ARGV entries their header documents and their body uses).
 */

/** Every `rcall(...)`, `redis.call(...)` and `redis.pcall(...)`: the command and its top-level arguments. */
export function redisCalls(source: string): Array<{ command: string; args: string[] }> {
  const calls: Array<{ command: string; args: string[] }> = [];
  for (const match of source.matchAll(/\b(?:rcall|redis\.p?call)\(/g)) {
    const args: string[] = [];
    let depth = 0;
    let current = '';
    for (let i = (match.index as number) + match[0].length; i < source.length; i++) {
      const char = source[i];
      if (char === ')' && depth === 0) break;
      if (char === '(') depth++;
      if (char === ')') depth--;
      if (char === ',' && depth === 0) {
        args.push(current.trim());
        current = '';
      } else {
        current += char;
      }
    }
    args.push(current.trim());
    const command = /^'(\w+)'$/.exec(args[0])?.[1] ?? `a computed command (${args[0]})`;
    calls.push({ command, args: args.slice(1) });
  }
  return calls;
}

/** `KEYS[1]`, `ARGV[2..n]` ... named in a header: single indexes, and `n..` for an open range from n. */
export function documentedEntries(header: string, table: string): string[] {
  const entries = [...header.matchAll(new RegExp(`\\b${table}\\[(\\d+)(\\.\\.n)?\\]`, 'g'))].map(([, index, range]) =>
    range ? `${index}..` : index,
  );
  return [...new Set(entries)].sort();
}

/** The entries a script body uses: literal indexes, and `n..` for a loop `for i = n, #ARGV[, step]` reading ARGV[i]. */
export function usedEntries(body: string, table: string): string[] {
  const entries = [...body.matchAll(new RegExp(`\\b${table}\\[(\\d+)\\]`, 'g'))].map(([, index]) => index);
  for (const [, variable, start] of body.matchAll(new RegExp(`for (\\w+) = (\\d+), #${table}(?:, \\d+)? do`, 'g'))) {
    assert.match(body, new RegExp(`\\b${table}\\[${variable}\\]`));
    entries.push(`${start}..`);
  }
  return [...new Set(entries)].sort();
}
