import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findLuaDirectory, readLuaScript } from '../../../lib/core/scripts/lua-script';
import { ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';

const luaDirectory = findLuaDirectory();
const serviceSource = readFileSync(join(luaDirectory, '..', 'lib', 'routing', 'stateful-executor.service.ts'), 'utf8');

describe('Lua scripts', () => {
  it('lua/routing/ holds exactly the eleven named scripts', () => {
    const files = readdirSync(join(luaDirectory, 'routing')).filter((file) => file.endsWith('.lua')).map((file) => file.replace(/\.lua$/, ''));
    assert.deepEqual(files.sort(), [...SCRIPT_NAMES].sort());
  });

  for (const name of SCRIPT_NAMES) {
    it(`${name} has a header naming KEYS, ARGV and the reply, and is used by the service`, () => {
      const text = readFileSync(join(luaDirectory, `${ROUTING_SCRIPTS[name]}.lua`), 'utf8');
      assert.match(text, /^--\[\[/);
      assert.match(text, /Input:\s*\n\s*KEYS\[1\]/);
      assert.match(text, /Output:/);
      assert.ok(serviceSource.includes(`'${name}'`), `${name} is run by StatefulExecutorService`);
    });

    it(`${name} builds no key names of its own: every key comes from KEYS or KEYS[1] .. suffix`, () => {
      const { source } = readLuaScript(ROUTING_SCRIPTS[name]);
      const keyArguments = [...source.matchAll(/rcall\('(?:GET|SET|HSET|HDEL|HGET|HKEYS|HGETALL|HEXISTS|HINCRBY|PTTL|EXPIRE|PEXPIRE|PERSIST|DEL)', ([^,)]+)/g)].map((match) => match[1].trim());
      for (const key of keyArguments) {
        assert.match(key, /^(KEYS\[\d\]|hashKey|linkKey|hashKey \.\. service|KEYS\[1\] \.\. service)$/, `${name}: key expression ${key}`);
      }
    });
  }

  it('inlines each include once and resolves nested includes', () => {
    const { source, sha } = readLuaScript('routing/statefulSetLink');
    assert.equal(source.match(/local function syncUidHash/g)?.length, 1);
    assert.equal(source.match(/local function writeLink/g)?.length, 1);
    assert.doesNotMatch(source, /@include/);
    assert.match(sha, /^[0-9a-f]{40}$/);
  });

  it('fails clearly when the lua folder cannot be found', () => {
    assert.throws(() => findLuaDirectory('/'), /no lua\/ folder found/);
  });
});
