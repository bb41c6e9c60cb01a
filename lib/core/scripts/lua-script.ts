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

/**
 * The `lua/` folder of this package (the one with `includes/`), whether running from `dist/`, a test build, or sources.
 */
export function findLuaDirectory(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'lua');
    if (existsSync(join(candidate, 'includes'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`nestjs-stateful-redis: no lua/ folder found above ${start}`);
  }
}

/**
 * Reads `lua/<name>.lua` (or an absolute `<name>.lua`) and inlines its `--- @include "includes/x"` lines (each helper
 * once).
 */
export function readLuaScript(name: string, luaDirectory = findLuaDirectory()): LuaScript {
  const included = new Set<string>();
  const expand = (file: string): string =>
    readFileSync(isAbsolute(file) ? `${file}.lua` : join(luaDirectory, `${file}.lua`), 'utf8').replace(
      INCLUDE,
      (_line, include: string) => {
        if (included.has(include)) return '';
        included.add(include);
        return expand(include);
      },
    );
  const source = expand(name);
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}
