import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SCRIPT_COMMANDS } from '../../../lib/core/errors/redis-error.mapper';
import { IN_HOUSE_SCRIPT_NAMES, ROUTING_SCRIPTS, SCRIPT_NAMES } from '../../../lib/routing/routing-script-names';
import { LUA_DIRECTORY, luaTool, PACKAGE_ROOT, readLuaSource } from '../../harness/lua-files';
import { documentedEntries, redisCalls, usedEntries } from '../../harness/lua-source';

const routingDirectory = join(LUA_DIRECTORY, 'routing');
/** The routing feature's code that runs scripts: the service, and the sweep and the walk of links it delegates to. */
const serviceSource = ['stateful-executor.service.ts', 'sweep/silent-pod-sweep.ts', 'sweep/pod-link-walk.ts']
  .map((file) => readFileSync(join(PACKAGE_ROOT, 'lib', 'routing', file), 'utf8'))
  .join('\n');

/**
 * Redis commands the scripts may call on keys (TIME etc. would not take one): those of the ACL hint, which a test
 * keeps equal to what lua/ calls, and HGET.
 */
const KEY_COMMANDS = new Set<string>([...SCRIPT_COMMANDS, 'HGET']);
/** A key argument: a KEYS entry, a parameter bound to one, or a link key derived from the uid hash. */
const KEY_EXPRESSION = /^(KEYS\[\d\]|hashKey|linkKey|linkKeys\[i\]|unpack\(linkKeys\)|statesKey|weightsKey|sweepsKey)$/;
/** Calls (not definitions) of the include helpers that take keys: the uid hash first, then the link key for two. */
const INCLUDE_CALL =
  /(?<!function )\b(?:(writeLink|removeLink)\(([^,)]+), ([^,)]+)|(readLinkTtls|linkKeysOf|syncUidHash)\(([^,)]+))/g;
/** Every helper function defined in lua/routing/includes. */
const INCLUDE_FUNCTIONS = readdirSync(join(routingDirectory, 'includes')).flatMap((file) =>
  [...readFileSync(join(routingDirectory, 'includes', file), 'utf8').matchAll(/local function (\w+)\(/g)].map(
    (match) => match[1],
  ),
);

describe('Lua scripts', () => {
  it('lua/routing/ holds exactly the named scripts, the eleven in-house names among them', () => {
    assert.equal(IN_HOUSE_SCRIPT_NAMES.length, 11);
    for (const name of IN_HOUSE_SCRIPT_NAMES) assert.ok((SCRIPT_NAMES as readonly string[]).includes(name));
    const files = readdirSync(routingDirectory)
      .filter((file) => file.endsWith('.lua'))
      .map((file) => file.replace(/\.lua$/, ''));
    assert.deepEqual(files.sort(), [...SCRIPT_NAMES].sort());
  });

  for (const name of SCRIPT_NAMES) {
    it(`${name} has a header naming KEYS, ARGV and the reply, and is used by the service`, () => {
      const text = readFileSync(join(routingDirectory, `${name}.lua`), 'utf8');
      assert.match(text, /^--\[\[/);
      assert.match(text, /Input:\s*\n\s*KEYS\[1\]/);
      assert.match(text, /Output:/);
      assert.ok(serviceSource.includes(`'${name}'`), `${name} is run by the routing feature`);
    });

    it(`${name} touches only keys from KEYS or derived from KEYS[1] inside its hash tag`, () => {
      const { source } = ROUTING_SCRIPTS[name];
      for (const { command, args } of redisCalls(source)) {
        assert.ok(KEY_COMMANDS.has(command), `${name}: ${command} is not a known key command`);
        // EXISTS checks the hash and every derived link key at once (see includes/linkKeysOf); others take one key.
        const keys = command === 'EXISTS' ? args : args.slice(0, 1);
        for (const key of keys) assert.match(key, KEY_EXPRESSION, `${name}: ${command} on key expression ${key}`);
      }
      // The key variables are bound only to KEYS entries, and the only key built is hashKey .. service.
      for (const [call, linkWriter, writerHash, linkArgument, reader, readerHash] of source.matchAll(INCLUDE_CALL)) {
        assert.match(linkWriter ? writerHash : readerHash, /^(KEYS\[1\]|hashKey)$/, `${name}: ${call}`);
        if (linkWriter) assert.equal(linkArgument, 'KEYS[2]', `${name}: ${call}`);
        else assert.ok(reader);
      }
      // The pod helpers' key parameters are bound to the pod states and weights, KEYS[1] and KEYS[2].
      for (const [call, statesKey, weightsKey] of source.matchAll(
        /(?<!function )\b(?:pickPod|podEntries)\(([^,)]+), ([^,)]+)/g,
      )) {
        assert.deepEqual([statesKey, weightsKey], ['KEYS[1]', 'KEYS[2]'], `${name}: ${call}`);
      }
      // The sweep notice's are bound to the pod states and the pod sweeps, KEYS[1] and KEYS[5].
      for (const [call, statesKey, sweepsKey] of source.matchAll(/(?<!function )\bsweepNotice\(([^,)]+), ([^,)]+)/g)) {
        assert.deepEqual([statesKey, sweepsKey], ['KEYS[1]', 'KEYS[5]'], `${name}: ${call}`);
      }
      for (const [built] of source.matchAll(/\b(?:hashKey|KEYS\[\d\]|linkKeys?\[?\w*\]?)\s*\.\.\s*\w+/g)) {
        assert.equal(built, 'hashKey .. service', `${name}: builds the key ${built}`);
      }
      assert.doesNotMatch(
        source,
        /'[^'\n]*[{}][^'\n]*'|'[^'\n]*:(?:lk|state|workload):/,
        `${name}: a key-like string literal`,
      );
    });

    it(`${name} documents in its header every KEYS and ARGV entry it uses, and uses every one it documents`, () => {
      const text = readFileSync(join(routingDirectory, `${name}.lua`), 'utf8');
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1] ?? '';
      const body = ROUTING_SCRIPTS[name].source.slice(text.indexOf(']]'));
      for (const table of ['KEYS', 'ARGV']) {
        const documented = documentedEntries(header, table);
        const used = usedEntries(body, table);
        assert.deepEqual(used, documented, `${name}: ${table} used vs documented in the header`);
      }
    });
  }

  for (const include of readdirSync(join(routingDirectory, 'includes')).map(
    (file) => `routing/includes/${file.replace(/\.lua$/, '')}`,
  )) {
    it(`${include} includes every helper it calls, touches neither KEYS nor ARGV, and has a header`, () => {
      const source = readLuaSource(include);
      assert.match(readFileSync(join(LUA_DIRECTORY, `${include}.lua`), 'utf8'), /^--\[\[[\s\S]*?\]\]\n/);
      for (const helper of INCLUDE_FUNCTIONS) {
        const called = source.search(new RegExp(`(?<!function )\\b${helper}\\(`));
        if (called === -1) continue;
        const defined = source.indexOf(`local function ${helper}(`);
        assert.ok(defined !== -1 && defined < called, `${include} calls ${helper} without including it first`);
      }
      assert.doesNotMatch(source, /\b(?:KEYS|ARGV)\b/, `${include}: takes its keys and values as parameters`);
    });
  }

  it('inlines each include once and resolves nested includes', () => {
    const { source, sha } = ROUTING_SCRIPTS.statefulSetLink;
    assert.equal(source.match(/local function syncUidHash/g)?.length, 1);
    assert.equal(source.match(/local function writeLink/g)?.length, 1);
    assert.doesNotMatch(source, /@include/);
    assert.match(sha, /^[0-9a-f]{40}$/);
  });

  it('each script takes as many keys as its header documents (KEYS[1] to KEYS[n])', () => {
    for (const name of SCRIPT_NAMES) {
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(ROUTING_SCRIPTS[name].source)?.[1] ?? '';
      assert.equal(ROUTING_SCRIPTS[name].keys, documentedEntries(header, 'KEYS').length, name);
      assert.equal(luaTool.readLuaScript(name, `routing/${name}`).sha, ROUTING_SCRIPTS[name].sha, name);
    }
  });
});
