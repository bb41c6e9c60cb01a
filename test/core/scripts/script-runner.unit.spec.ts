import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { ScriptRunner } from '../../../lib/core/scripts/script-runner';
import { ROUTING_SCRIPTS } from '../../../lib/routing/routing-script-names';
import { SCHEDULER_SCRIPTS } from '../../../lib/scheduler/store/scheduler-script-names';
import { luaTool, PACKAGE_ROOT } from '../../harness/lua-files';

/** A client that fails the test if anything is sent: a refused call sends nothing. */
const NO_CLIENT = new Proxy({} as Redis, {
  get: (_target, property) => {
    throw new Error(`the client was used (${String(property)})`);
  },
});

describe('ScriptRunner', () => {
  it('refuses a call with another number of keys than the script takes, naming the script and both counts', async () => {
    const routing = new ScriptRunner(NO_CLIENT).register(ROUTING_SCRIPTS);
    const [states, weights, seen, writes] = ['s', 'w', 'seen', 'writes'];
    await assert.rejects(
      // @ts-expect-error a four-key call to a two-key script does not compile either
      routing.run('statefulGetServicePod', [states, weights, seen, writes], ['uid', 'running']),
      { message: 'nestjs-stateful-redis: Lua script "statefulGetServicePod" takes 2 key(s), called with 4' },
    );
    await assert.rejects(
      // @ts-expect-error nor a one-key call to a four-key script
      routing.run('statefulGetPods', [states], []),
      { message: 'nestjs-stateful-redis: Lua script "statefulGetPods" takes 4 key(s), called with 1' },
    );
    const scheduler = new ScriptRunner(NO_CLIENT).register(SCHEDULER_SCRIPTS);
    await assert.rejects(
      // @ts-expect-error the scheduler's scripts take the namespace's nine keys, then a pair per workflow
      scheduler.run('schedulerNow', [], []),
      { message: 'nestjs-stateful-redis: Lua script "schedulerNow" takes 9 key(s) then groups of 2, called with 0' },
    );
    const namespace = Array.from({ length: 9 }, (_, index) => `k${index}`);
    for (const keys of [namespace.slice(0, 1), [...namespace, 'due'], [...namespace, 'due', 'pending', 'due2']]) {
      await assert.rejects(scheduler.run('schedulerRenewLease', keys as never, ['id']), {
        message: `nestjs-stateful-redis: Lua script "schedulerRenewLease" takes 9 key(s) then groups of 2, called with ${keys.length}`,
      });
    }
  });

  it('sends a call with the keys the script takes (the scheduler: nine, then pairs)', async () => {
    const sent: number[] = [];
    const client = { evalsha: (_sha: string, keyCount: number) => (sent.push(keyCount), Promise.resolve(1)) };
    const scheduler = new ScriptRunner(client as unknown as Redis).register(SCHEDULER_SCRIPTS);
    const namespace = Array.from({ length: 9 }, (_, index) => `k${index}`);
    await scheduler.run('schedulerNow', namespace as never, []);
    await scheduler.run('schedulerNow', [...namespace, 'due', 'pending'] as never, []);
    assert.deepEqual(sent, [9, 11]);
  });

  it("takes only the registering feature's script names", async () => {
    const routing = new ScriptRunner(NO_CLIENT).register(ROUTING_SCRIPTS);
    await assert.rejects(
      // @ts-expect-error a misspelled name does not compile
      routing.run('statefulSetLinks', ['a', 'b'], []),
      { message: 'nestjs-stateful-redis: no Lua script registered as "statefulSetLinks"' },
    );
  });

  it('refuses two different scripts under one name', () => {
    const runner = new ScriptRunner(NO_CLIENT);
    runner.register(ROUTING_SCRIPTS);
    assert.throws(
      () => runner.register({ statefulSetLink: { ...ROUTING_SCRIPTS.statefulSetLink, sha: '0'.repeat(40) } }),
      /two different Lua scripts are registered as "statefulSetLink"/,
    );
  });
});

describe('the built Lua scripts (tools/lua-scripts.cjs)', () => {
  for (const feature of luaTool.FEATURES) {
    it(`${feature.module} is what lua/${feature.folder}/ gives now`, () => {
      const fresh = luaTool.render(feature);
      const committed = readFileSync(join(PACKAGE_ROOT, feature.module), 'utf8');
      assert.ok(committed === fresh, `${feature.module} is stale: regenerate with \`${luaTool.REGENERATE}\``);
    });
  }

  it('reads the key count from the KEYS the header documents, and refuses a gap or a mixed range', () => {
    const script = (keys: string) => `--[[\n  Input:\n${keys}\n]]\nreturn 1\n`;
    assert.equal(luaTool.keyCountOf('two', script('    KEYS[1] a\n    KEYS[2] b')), 2);
    assert.equal(luaTool.keyCountOf('none', script('    ARGV[1] a')), 0);
    assert.equal(luaTool.keyCountOf('many', script("    KEYS[1..9+2n] the namespace's keys")), '9+2n');
    assert.throws(() => luaTool.keyCountOf('gap', script('    KEYS[1] a\n    KEYS[3] c')), /gap: .*KEYS 1, 3/);
    assert.throws(
      () => luaTool.keyCountOf('mixed', script('    KEYS[1] a\n    KEYS[1..9+2n] b')),
      /mixed: KEYS\[1\.\.9\+2n\] must be its only KEYS/,
    );
  });
});
