import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { KeyCount, LuaScript } from '../../lib/core/scripts/lua-script';

/*
 * The Lua files themselves, for the tests that read them (headers, includes, fixtures outside lua/): through the
 * build's own tool (tools/lua-scripts.cjs), so that they inline includes exactly as the built scripts do.
 */

/** The package's root (the folder holding tools/ and lua/), from a test build or from the sources. */
export const PACKAGE_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tools', 'lua-scripts.cjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no tools/lua-scripts.cjs above ${__dirname}`);
  }
})();

export const LUA_DIRECTORY = join(PACKAGE_ROOT, 'lua');

interface LuaTool {
  FEATURES: Array<{ folder: string; module: string; exportName: string }>;
  REGENERATE: string;
  inlineIncludes(file: string): string;
  keyCountOf(name: string, source: string): KeyCount;
  readLuaScript(name: string, file: string): LuaScript;
  render(feature: { folder: string; module: string; exportName: string }): string;
}

export const luaTool = createRequire(__filename)(join(PACKAGE_ROOT, 'tools', 'lua-scripts.cjs')) as LuaTool;

/** The source of a file under lua/ (`routing/includes/removeLink`) or an absolute one, without `.lua`, includes inlined. */
export function readLuaSource(file: string): string {
  return luaTool.inlineIncludes(file);
}
