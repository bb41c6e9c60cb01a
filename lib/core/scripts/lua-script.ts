import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/** One Lua script of `lua/`, with its includes inlined, ready for `SCRIPT LOAD` / `EVALSHA`. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

const INCLUDE = /^--- @include "([\w/-]+)"$/gm;

/** The `lua/` folder of this package (the one holding `includes/`), whether running from `dist/`, a test build, or sources. */
export function findLuaDirectory(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'lua');
    if (existsSync(join(candidate, 'includes'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`nestjs-stateful-redis: no lua/ folder found above ${start}`);
  }
}

/**
 * Reads `lua/<file>.lua` (or an absolute `<file>.lua`) and inlines its `--- @include "includes/x"` lines,
 * each helper once, includes of includes first.
 */
export function readLuaScript(file: string, luaDirectory = findLuaDirectory()): LuaScript {
  const included = new Set<string>();
  const expand = (path: string): string =>
    readFileSync(`${path}.lua`, 'utf8').replace(INCLUDE, (_line, include: string) => {
      if (included.has(include)) return '';
      included.add(include);
      return expand(join(luaDirectory, include));
    });
  const source = expand(isAbsolute(file) ? file : join(luaDirectory, file));
  return { name: file, source, sha: createHash('sha1').update(source).digest('hex') };
}
