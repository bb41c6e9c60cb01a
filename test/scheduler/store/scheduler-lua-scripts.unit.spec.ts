import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SCHEDULER_SCRIPT_NAMES, SCHEDULER_SCRIPTS } from '../../../lib/scheduler/store/scheduler-script-names';
import { schedulerKeys } from '../../../lib/scheduler/store/scheduler-keys';
import { LUA_DIRECTORY, PACKAGE_ROOT, readLuaSource } from '../../harness/lua-files';
import { documentedEntries, redisCalls, usedEntries } from '../../harness/lua-source';

const schedulerDirectory = join(LUA_DIRECTORY, 'scheduler');
const storeSource = readFileSync(join(PACKAGE_ROOT, 'lib', 'scheduler', 'store', 'scheduler-store.ts'), 'utf8');
const keysSource = readFileSync(join(PACKAGE_ROOT, 'lib', 'scheduler', 'store', 'scheduler-keys.ts'), 'utf8');
const namespaceKeysSource = readFileSync(join(schedulerDirectory, 'includes', 'namespaceKeys.lua'), 'utf8');
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
      'HGETALL',
      'HEXISTS',
      'HKEYS',
      'HVALS',
      'ZADD',
      'ZREM',
      'ZSCORE',
      'ZRANGE',
      'ZRANGEBYSCORE',
      'ZCOUNT',
      'ZREMRANGEBYLEX',
      'ZREMRANGEBYSCORE',
      'ZREVRANGEBYLEX',
      'SET',
      'INCR',
      'SADD',
    ].map((command) => [command, 1]),
  ),
  // A channel, not a key: the namespace's base with `:changed`.
  PUBLISH: -1,
  SPUBLISH: -1,
};
/** The keys `namespaceKeys` gives a script (every one declared in KEYS): its fixed ones and, per workflow, two. */
const FIXED_KEYS = ['tasks', 'state', 'history', 'leases', 'runs', 'replicas', 'fence', 'declared', 'removed'];
/** A key argument: one of the namespace's keys from K, by name or per workflow. */
const KEY_EXPRESSION = new RegExp(`^K\\.(?:${FIXED_KEYS.join('|')}|(?:due|pending)\\[[\\w.\\[\\]]+\\])$`);

/** Lua source without its comments (headers of inlined helpers name KEYS too). */
function code(source: string): string {
  return source.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');
}

/** The local variables bound to keys of K (`local pendingKey = K.pending[workflow]`, or several at once). */
function keyVariables(source: string): Set<string> {
  const bound = new Set<string>();
  for (const [, targets, expressions] of source.matchAll(/local ([\w, ]+) = (K\..+)$/gm)) {
    const names = targets.split(',').map((name) => name.trim());
    const values = expressions.split(/,\s*/).map((value) => value.trim());
    names.forEach((name, i) => {
      if (KEY_EXPRESSION.test(values[i] ?? '')) bound.add(name);
    });
  }
  return bound;
}

/** The keys a script's Redis calls touch that do not come from K: must be none. */
function keysOutsideTheNamespace(source: string): string[] {
  const variables = keyVariables(source);
  const offending: string[] = [];
  for (const { command, args } of redisCalls(source)) {
    const position = COMMANDS[command];
    if (position === undefined) offending.push(`${command} (not a known command)`);
    else if (position === -1) {
      if (args[0] !== "K.base .. ':changed'") offending.push(`${command} on channel ${args[0]}`);
    } else if (position > 0) {
      const key = args[position - 1];
      if (!KEY_EXPRESSION.test(key) && !variables.has(key)) offending.push(`${command} on ${key}`);
    }
  }
  return offending;
}

describe('scheduler Lua scripts', () => {
  it('lua/scheduler/ holds exactly the scripts of SchedulerStore.SCRIPTS', () => {
    const files = readdirSync(schedulerDirectory)
      .filter((file) => file.endsWith('.lua'))
      .map((file) => file.replace(/\.lua$/, ''));
    assert.deepEqual(files.sort(), [...SCHEDULER_SCRIPT_NAMES].sort());
  });

  it('namespaceKeys reads KEYS in the order schedulerKeys sends them, and scheduler-keys.ts documents every key', () => {
    const order = [...namespaceKeysSource.matchAll(/(\w+) = keys\[(\d)\]/g)].map(([, name, index]) => [
      name,
      Number(index),
    ]);
    assert.deepEqual(
      order,
      FIXED_KEYS.map((name, i) => [name, i + 1]),
    );
    const sent = schedulerKeys('B', ['w1', 'w2']);
    assert.deepEqual(sent, [
      ...FIXED_KEYS.map((name) => `B:${name}`),
      'B:due:w1',
      'B:pending:w1',
      'B:due:w2',
      'B:pending:w2',
    ]);
    for (const name of [...FIXED_KEYS, 'due:<workflow>', 'pending:<workflow>'])
      assert.ok(keysSource.includes(`\`B:${name}\``), `B:${name} is documented`);
  });

  for (const name of SCHEDULER_SCRIPT_NAMES) {
    const file = join(schedulerDirectory, `${name}.lua`);

    it(`${name} opens with a header (Input: the namespace's keys, ARGV, Output), binds rcall, and is run by SchedulerStore`, () => {
      const text = readFileSync(file, 'utf8');
      assert.match(
        text,
        /^--\[\[[\s\S]*?\n {2}Input:\n {4}KEYS\[1\.\.9\+2n\] the namespace's keys {2}tasks, state, history, [\s\S]*?\n {2}Output:\n[\s\S]*?\]\]\nlocal rcall = redis\.call\n/,
      );
      assert.ok(storeSource.includes(`'${name}'`), `${name} is run by SchedulerStore`);
    });

    it(`${name} documents every ARGV entry it uses and uses every one it documents; KEYS only through namespaceKeys`, () => {
      const text = readFileSync(file, 'utf8');
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(text)?.[1] ?? '';
      const body = code(SCHEDULER_SCRIPTS[name].source);
      assert.deepEqual(
        usedEntries(body, 'ARGV'),
        documentedEntries(header, 'ARGV'),
        `${name}: ARGV used vs documented`,
      );
      const keysUses = [...body.matchAll(/\bKEYS\b.?/g)].map(([use]) => use);
      const touchesKeys = redisCalls(body).some(({ command }) => (COMMANDS[command] ?? 1) !== 0);
      // The clock alone (schedulerNow) reads no key: its KEYS only route the call to the namespace's node.
      assert.deepEqual(keysUses, touchesKeys ? ['KEYS)'] : [], `${name}: KEYS is read once, by namespaceKeys(KEYS)`);
      if (touchesKeys) assert.match(body, /^local K = namespaceKeys\(KEYS\)$/m);
    });

    it(`${name} touches only keys it declared in KEYS (through K), and publishes only on the namespace's channel`, () => {
      const { source } = SCHEDULER_SCRIPTS[name];
      assert.deepEqual(keysOutsideTheNamespace(source), [], name);
      assert.doesNotMatch(source, /'[^'\n]*\{[^'\n]*'/, `${name}: a string literal with a hash tag`);
      assert.doesNotMatch(source, /@include/, `${name}: an include left unresolved`);
    });
  }

  for (const include of includeNames) {
    it(`${include} has a header, touches neither KEYS nor ARGV, and includes every helper it calls`, () => {
      const text = readFileSync(join(LUA_DIRECTORY, `${include}.lua`), 'utf8');
      assert.match(text, /^--\[\[[\s\S]*?\]\]\n/);
      const source = code(readLuaSource(include));
      assert.doesNotMatch(source, /\b(?:KEYS|ARGV)\b/);
      assert.deepEqual(keysOutsideTheNamespace(source), [], include);
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
      [...readFileSync(join(LUA_DIRECTORY, `${include}.lua`), 'utf8').matchAll(/local function (\w+)\(/g)].map(
        (match) => match[1],
      ),
    );
    for (const name of SCHEDULER_SCRIPT_NAMES) {
      const { source } = SCHEDULER_SCRIPTS[name];
      for (const helper of helpers) {
        const called = source.search(new RegExp(`(?<!function )\\b${helper}\\(`));
        if (called === -1) continue;
        const defined = source.indexOf(`local function ${helper}(`);
        assert.ok(defined !== -1 && defined < called, `${name} calls ${helper} without including it first`);
        assert.equal(source.split(`local function ${helper}(`).length, 2, `${name}: ${helper} inlined once`);
      }
    }
  });

  it('the check itself catches a key built outside K, or a variable bound to one', () => {
    const bad = [
      "local stateKey = K.base .. ':state:' .. taskId",
      "rcall('HSET', stateKey, 'a', 1)",
      "rcall('SET', 'sf:{other:sched}:x', 1)",
      "rcall('PUBLISH', 'elsewhere', 'x')",
      "local dueKey, other = K.due[workflow], 'x'",
      "rcall('ZADD', other, 1, 'm')",
      "rcall('ZADD', dueKey, 1, 'm')",
      "rcall('LPUSH', K.history, 'x')",
    ].join('\n');
    assert.deepEqual(keysOutsideTheNamespace(bad), [
      'HSET on stateKey',
      "SET on 'sf:{other:sched}:x'",
      "PUBLISH on channel 'elsewhere'",
      'ZADD on other',
      'LPUSH (not a known command)',
    ]);
  });
});
