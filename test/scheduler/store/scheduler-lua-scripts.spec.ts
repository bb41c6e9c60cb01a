import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findLuaDirectory, readLuaScript } from '../../../lib/core/scripts/lua-script';
import { SCHEDULER_SCRIPT_NAMES, SCHEDULER_SCRIPTS } from '../../../lib/scheduler/store/scheduler-script-names';
import { documentedEntries, redisCalls, usedEntries } from '../../harness/lua-source';

const luaDirectory = findLuaDirectory();
const schedulerDirectory = join(luaDirectory, 'scheduler');
const storeSource = readFileSync(join(luaDirectory, '..', 'lib', 'scheduler', 'store', 'scheduler-store.ts'), 'utf8');
const keysSource = readFileSync(join(luaDirectory, '..', 'lib', 'scheduler', 'store', 'scheduler-keys.ts'), 'utf8');
const includeNames = readdirSync(join(schedulerDirectory, 'includes')).map(
  (file) => `scheduler/includes/${file.replace(/\.lua$/, '')}`,
);

/** The commands the scheduler's scripts may call, each with the position of its key (0: no key). */
const COMMANDS: Record<string, number> = {
  TIME: 0,
  ...Object.fromEntries(
    [
      'HGET',
      'HSET',
      'HDEL',
      'HMGET',
      'HGETALL',
      'HEXISTS',
      'HINCRBY',
      'HKEYS',
      'HVALS',
      'ZADD',
      'ZREM',
      'ZSCORE',
      'ZRANGE',
      'ZRANGEBYSCORE',
      'ZCOUNT',
      'LPUSH',
      'LTRIM',
      'LRANGE',
      'DEL',
      'EXISTS',
      'SET',
      'INCR',
      'SADD',
      'PUBLISH',
      'SPUBLISH',
    ].map((command) => [command, 1]),
  ),
};
/** The suffixes of the key layout (lib/scheduler/store/scheduler-keys.ts): the only keys a script may build. */
const SUFFIXES = [
  ':tasks',
  ':state:',
  ':due:',
  ':pending:',
  ':leases',
  ':runs',
  ':history:',
  ':replicas',
  ':fence',
  ':declared',
  ':changed',
];
/** A key built from the namespace base: the base, a documented suffix, and at most one name (id, workflow). */
const KEY_EXPRESSION = new RegExp(`^(?:base|KEYS\\[1\\]) \\.\\. '(${SUFFIXES.join('|')})'(?: \\.\\. [\\w.\\[\\]]+)?$`);
/** The include helpers that take the namespace base as their first parameter. */
const BASE_HELPERS = [
  'readTask',
  'pushHistory',
  'unscheduleTask',
  'releaseRun',
  'settleUnsuccessful',
  'loseRun',
  'startRun',
  'publishChange',
  'nextCounterValue',
  'pendingMember',
];

/** The local variables bound to a key built from the base (`local stateKey = base .. ':state:' .. taskId`). */
function keyVariables(source: string): Map<string, string> {
  const bound = new Map<string, string>();
  for (const [, name, expression] of source.matchAll(/local (\w+) = ((?:base|KEYS\[1\]) \.\. .+)$/gm))
    bound.set(name, expression.trim());
  return bound;
}

/** Every assignment to a key variable binds it to a key built from the base, alone (no `local a, key = x, y`). */
function assertKeyVariablesBoundOnlyToKeys(name: string, source: string, variables: Map<string, string>): void {
  for (const [line, targets, expression] of source.matchAll(/^\s*(?:local )?([\w, ]+?) = (?!=)(.+)$/gm)) {
    const names = targets.split(',').map((target) => target.trim());
    if (!names.some((target) => variables.has(target))) continue;
    assert.ok(names.length === 1 && KEY_EXPRESSION.test(expression.trim()), `${name}: ${line.trim()}`);
  }
}

describe('scheduler Lua scripts', () => {
  it('lua/scheduler/ holds exactly the scripts of SchedulerStore.SCRIPTS', () => {
    const files = readdirSync(schedulerDirectory)
      .filter((file) => file.endsWith('.lua'))
      .map((file) => file.replace(/\.lua$/, ''));
    assert.deepEqual(files.sort(), [...SCHEDULER_SCRIPT_NAMES].sort());
  });

  it('the key layout documented in scheduler-keys.ts names every suffix the scripts build', () => {
    for (const suffix of SUFFIXES) assert.ok(keysSource.includes(`\`B${suffix}`), `${suffix} is documented`);
  });

  for (const name of SCHEDULER_SCRIPT_NAMES) {
    const file = join(luaDirectory, `${SCHEDULER_SCRIPTS[name]}.lua`);

    it(`${name} opens with a header (Input: KEYS[1], ARGV, Output), binds rcall, and is run by SchedulerStore`, () => {
      const text = readFileSync(file, 'utf8');
      assert.match(
        text,
        /^--\[\[[\s\S]*?\n {2}Input:\n {4}KEYS\[1\] namespace base {6}<prefix>:\{<ns>:sched\}[\s\S]*?\n {2}Output:\n[\s\S]*?\]\]\nlocal rcall = redis\.call\n/,
      );
      assert.ok(storeSource.includes(`'${name}'`), `${name} is run by SchedulerStore`);
    });

    it(`${name} documents every ARGV entry it uses and uses every one it documents; KEYS[1] is its only key`, () => {
      const text = readFileSync(file, 'utf8');
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1] ?? '';
      const body = readLuaScript(SCHEDULER_SCRIPTS[name]).source.slice(text.indexOf(']]'));
      assert.deepEqual(documentedEntries(header, 'KEYS'), ['1']);
      assert.deepEqual(
        usedEntries(body, 'KEYS').filter((entry) => entry !== '1'),
        [],
        `${name}: KEYS beyond KEYS[1]`,
      );
      assert.deepEqual(
        usedEntries(body, 'ARGV'),
        documentedEntries(header, 'ARGV'),
        `${name}: ARGV used vs documented`,
      );
    });

    it(`${name} touches only keys derived from KEYS[1] by a documented suffix`, () => {
      const { source } = readLuaScript(SCHEDULER_SCRIPTS[name]);
      const variables = keyVariables(source);
      for (const expression of variables.values())
        assert.match(expression, KEY_EXPRESSION, `${name}: a key variable bound to ${expression}`);
      assertKeyVariablesBoundOnlyToKeys(name, source, variables);
      for (const { command, args } of redisCalls(source)) {
        assert.ok(command in COMMANDS, `${name}: ${command} is not a known command`);
        if (COMMANDS[command] === 0) continue;
        const key = args[COMMANDS[command] - 1];
        assert.ok(KEY_EXPRESSION.test(key) || variables.has(key), `${name}: ${command} on key expression ${key}`);
      }
      // The base is KEYS[1], in the script and in every helper it is passed to.
      for (const [binding] of source.matchAll(/local base\b.*$/gm)) assert.equal(binding, 'local base = KEYS[1]', name);
      for (const [call, helper, first] of source.matchAll(/(?<!function )\b(\w+)\(([^,)]*)[,)]/g)) {
        if (BASE_HELPERS.includes(helper)) assert.equal(first, 'base', `${name}: ${call}`);
      }
      assert.doesNotMatch(source, /'[^'\n]*[{}][^'\n]*'/, `${name}: a string literal with a hash tag`);
      assert.doesNotMatch(source, /@include/, `${name}: an include left unresolved`);
    });
  }

  for (const include of includeNames) {
    it(`${include} has a header, touches neither KEYS nor ARGV, and includes every helper it calls`, () => {
      const text = readFileSync(join(luaDirectory, `${include}.lua`), 'utf8');
      assert.match(text, /^--\[\[[\s\S]*?\]\]\n/);
      const { source } = readLuaScript(include);
      assert.doesNotMatch(source, /\b(?:KEYS|ARGV)\b/);
      for (const [, helper] of source.matchAll(/(?<!function )\b(\w+)\(/g)) {
        const defined = source.indexOf(`local function ${helper}(`);
        if (defined === -1) continue;
        const firstCall = source.search(new RegExp(`(?<!function )\\b${helper}\\(`));
        assert.ok(defined < firstCall, `${include} calls ${helper} before defining it`);
      }
      for (const [, helper] of source.matchAll(/local function (\w+)\(/g)) {
        assert.equal(source.split(`local function ${helper}(`).length, 2, `${include}: ${helper} defined once`);
      }
    });
  }

  it('every script calls only helpers it includes, each defined once', () => {
    const helpers = includeNames.flatMap((include) =>
      [...readFileSync(join(luaDirectory, `${include}.lua`), 'utf8').matchAll(/local function (\w+)\(/g)].map(
        (match) => match[1],
      ),
    );
    for (const name of SCHEDULER_SCRIPT_NAMES) {
      const { source } = readLuaScript(SCHEDULER_SCRIPTS[name]);
      for (const helper of helpers) {
        const called = source.search(new RegExp(`(?<!function )\\b${helper}\\(`));
        if (called === -1) continue;
        const defined = source.indexOf(`local function ${helper}(`);
        assert.ok(defined !== -1 && defined < called, `${name} calls ${helper} without including it first`);
        assert.equal(source.split(`local function ${helper}(`).length, 2, `${name}: ${helper} inlined once`);
      }
    }
  });

  it('the check itself catches a key built outside the layout', () => {
    const bad = `local rcall = redis.call\nlocal base = KEYS[1]\nrcall('SET', 'sf:{other:sched}:x', 1)\nrcall('HSET', base .. ':elsewhere', 'a', 1)`;
    const variables = keyVariables(bad);
    assert.throws(() =>
      assertKeyVariablesBoundOnlyToKeys(
        'bad',
        `local dueKey = base .. ':due:' .. w\nlocal id, dueKey = x, y`,
        keyVariables(`local dueKey = base .. ':due:' .. w`),
      ),
    );
    const offending = redisCalls(bad).filter(
      ({ command, args }) => !(command in COMMANDS) || !(KEY_EXPRESSION.test(args[0]) || variables.has(args[0])),
    );
    assert.equal(offending.length, 2);
  });
});
