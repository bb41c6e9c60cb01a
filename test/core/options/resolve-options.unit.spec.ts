import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, StatefulError, StatefulRedisModuleOptions } from '../../../lib';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  resolveOptions,
} from '../../../lib/core/options/resolve-options';

const URL = 'redis://127.0.0.1:1';

/** Asserts that `resolveOptions(options)` throws INVALID_PARAMETER naming `field` in both `field` and message. */
function assertRejected(
  options: unknown,
  field: string,
  messagePattern: RegExp = new RegExp(`"${field}"`),
): StatefulError {
  let caught: unknown;
  try {
    resolveOptions(options as StatefulRedisModuleOptions);
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof StatefulError,
    `expected a StatefulError for ${JSON.stringify(options)}, got ${String(caught)}`,
  );
  assert.equal(caught.code, ErrorCode.INVALID_PARAMETER);
  assert.equal(caught.field, field);
  assert.match(caught.message, messagePattern);
  assert.match(caught.message, /StatefulRedisModule options/);
  return caught;
}

describe('resolveOptions: defaults', () => {
  it('applies every default when only a connection is given', () => {
    const resolved = resolveOptions({ redis: URL });
    // Options other engineers add later (e.g. metrics) have their own tests; these are the ones here.
    const known = [
      'redis',
      'cluster',
      'client',
      'keyPrefix',
      'routableStates',
      'commandTimeoutMs',
      'connectTimeoutMs',
      'lazyConnect',
      'healthCheckTimeoutMs',
      'logOperations',
    ] as const;
    assert.deepEqual(Object.fromEntries(known.map((key) => [key, resolved[key]])), {
      redis: URL,
      cluster: undefined,
      client: undefined,
      keyPrefix: 'sf',
      routableStates: ['running'],
      commandTimeoutMs: 2_000,
      connectTimeoutMs: 10_000,
      lazyConnect: false,
      healthCheckTimeoutMs: 1_000,
      logOperations: false,
    });
    assert.equal(DEFAULT_COMMAND_TIMEOUT_MS, 2_000);
    assert.equal(DEFAULT_CONNECT_TIMEOUT_MS, 10_000);
    assert.equal(DEFAULT_HEALTH_CHECK_TIMEOUT_MS, 1_000);
  });

  it('keeps every given value', () => {
    const resolved = resolveOptions({
      redis: { host: '127.0.0.1', port: 1 },
      keyPrefix: 'myp',
      routableStates: ['ready', 'warm'],
      commandTimeoutMs: 123,
      connectTimeoutMs: 456,
      lazyConnect: true,
      healthCheckTimeoutMs: 789,
      logOperations: true,
    });
    assert.deepEqual(resolved.redis, { host: '127.0.0.1', port: 1 });
    assert.equal(resolved.keyPrefix, 'myp');
    assert.deepEqual(resolved.routableStates, ['ready', 'warm']);
    assert.equal(resolved.commandTimeoutMs, 123);
    assert.equal(resolved.connectTimeoutMs, 456);
    assert.equal(resolved.lazyConnect, true);
    assert.equal(resolved.healthCheckTimeoutMs, 789);
    assert.equal(resolved.logOperations, true);
  });

  it("copies routableStates, so a later change of the caller's array has no effect", () => {
    const states = ['running'];
    const resolved = resolveOptions({ redis: URL, routableStates: states });
    states.push('draining');
    assert.deepEqual(resolved.routableStates, ['running']);
    resolved.routableStates.push('x');
    assert.deepEqual(
      resolveOptions({ redis: URL }).routableStates,
      ['running'],
      'the default must not be shared and mutated',
    );
  });

  it('accepts rediss:// URLs, URLs with credentials and ioredis option objects', () => {
    assert.equal(resolveOptions({ redis: 'rediss://h:6380' }).redis, 'rediss://h:6380');
    assert.equal(resolveOptions({ redis: 'redis://user:pw@h:6379/2' }).redis, 'redis://user:pw@h:6379/2');
    assert.deepEqual(resolveOptions({ redis: {} }).redis, {});
  });

  it('accepts a cluster with nodes', () => {
    const cluster = { nodes: [{ host: '127.0.0.1', port: 7000 }] };
    assert.equal(resolveOptions({ cluster }).cluster, cluster);
  });

  it('accepts an ioredis client without connecting it', () => {
    const client = new Redis({ lazyConnect: true, port: 1 });
    try {
      const resolved = resolveOptions({ client });
      assert.equal(resolved.client, client);
      assert.equal(client.status, 'wait');
    } finally {
      client.disconnect();
    }
  });

  it('treats options set to undefined as absent', () => {
    const resolved = resolveOptions({
      redis: URL,
      cluster: undefined,
      client: undefined,
      keyPrefix: undefined,
      commandTimeoutMs: undefined,
    });
    assert.equal(resolved.keyPrefix, 'sf');
    assert.equal(resolved.commandTimeoutMs, 2_000);
  });

  it('accepts the bounds of the numeric options', () => {
    for (const value of [1, 600_000]) {
      const resolved = resolveOptions({
        redis: URL,
        commandTimeoutMs: value,
        connectTimeoutMs: value,
        healthCheckTimeoutMs: value,
      });
      assert.equal(resolved.commandTimeoutMs, value);
      assert.equal(resolved.connectTimeoutMs, value);
      assert.equal(resolved.healthCheckTimeoutMs, value);
    }
  });

  it('accepts a keyPrefix of 64 characters and with colons', () => {
    assert.equal(resolveOptions({ redis: URL, keyPrefix: 'a'.repeat(64) }).keyPrefix, 'a'.repeat(64));
    assert.equal(resolveOptions({ redis: URL, keyPrefix: 'app:sf' }).keyPrefix, 'app:sf');
  });
});

describe('resolveOptions: invalid options', () => {
  it('rejects options that are not an object', () => {
    for (const options of [null, undefined, 'redis://x', 42]) {
      let caught: unknown;
      try {
        resolveOptions(options as unknown as StatefulRedisModuleOptions);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof StatefulError, `for ${String(options)}`);
      assert.equal(caught.code, ErrorCode.INVALID_PARAMETER);
      assert.equal(caught.field, 'options');
    }
  });

  it('rejects no connection at all', () => {
    const error = assertRejected({}, 'redis|cluster|client', /exactly one of "redis", "cluster", "client"/);
    assert.match(error.message, /got none/);
  });

  it('counts a connection set to null as absent (it must not fall back to localhost:6379)', () => {
    const error = assertRejected({ redis: null }, 'redis|cluster|client', /exactly one of/);
    assert.match(error.message, /got none/);
    assertRejected({ redis: null, cluster: null, client: null }, 'redis|cluster|client', /got none/);
    const client = new Redis({ lazyConnect: true, port: 1 });
    try {
      assert.equal(resolveOptions({ redis: null, client } as unknown as StatefulRedisModuleOptions).client, client);
    } finally {
      client.disconnect();
    }
  });

  it('rejects two connections and names them', () => {
    const client = new Redis({ lazyConnect: true, port: 1 });
    try {
      const error = assertRejected({ redis: URL, client }, 'redis|cluster|client', /exactly one of/);
      assert.match(error.message, /"redis", "client"/);
      assertRejected({ redis: URL, cluster: { nodes: [7000] } }, 'redis|cluster|client', /"redis", "cluster"/);
      assertRejected(
        { redis: URL, cluster: { nodes: [7000] }, client },
        'redis|cluster|client',
        /"redis", "cluster", "client"/,
      );
    } finally {
      client.disconnect();
    }
  });

  it('rejects a redis value that is neither a redis URL nor an options object', () => {
    for (const redis of [
      'localhost:6379',
      'http://127.0.0.1:6379',
      '',
      'redis://',
      'redis://host with space',
      42,
      true,
      ['redis://x'],
    ]) {
      assertRejected({ redis }, 'redis', /"redis" must be a redis:\/\/ or rediss:\/\/ URL/);
    }
  });

  it('rejects a cluster without nodes', () => {
    for (const cluster of [{}, { nodes: [] }, { nodes: 'x' }, 'redis://x', []]) {
      assertRejected({ cluster }, 'cluster', /"cluster" must be an object with a non-empty "nodes" array/);
    }
  });

  it('rejects a client that is not an ioredis instance', () => {
    for (const client of [{}, { status: 'ready' }, { evalsha() {} }, 'redis://x']) {
      assertRejected({ client }, 'client', /"client" must be an ioredis Redis or Cluster instance/);
    }
  });

  it('rejects a bad keyPrefix', () => {
    assertRejected({ redis: URL, keyPrefix: 'a{b' }, 'keyPrefix', /"keyPrefix" must not contain braces/);
    assertRejected({ redis: URL, keyPrefix: 'a}b' }, 'keyPrefix', /"keyPrefix" must not contain braces/);
    assertRejected({ redis: URL, keyPrefix: 'a b' }, 'keyPrefix', /whitespace/);
    assertRejected({ redis: URL, keyPrefix: 'a\u0007b' }, 'keyPrefix', /control characters/);
    assertRejected({ redis: URL, keyPrefix: '' }, 'keyPrefix', /"keyPrefix" must not be empty/);
    assertRejected({ redis: URL, keyPrefix: 'a'.repeat(65) }, 'keyPrefix', /"keyPrefix" must be at most 64 characters/);
    assertRejected({ redis: URL, keyPrefix: 7 }, 'keyPrefix', /"keyPrefix" must be a string/);
  });

  it('rejects bad routableStates', () => {
    assertRejected(
      { redis: URL, routableStates: [] },
      'routableStates',
      /"routableStates" must name at least one state/,
    );
    assertRejected({ redis: URL, routableStates: 'running' }, 'routableStates', /"routableStates" must be an array/);
    assertRejected(
      { redis: URL, routableStates: ['running', 3] },
      'routableStates',
      /"routableStates" must contain only strings/,
    );
    assertRejected(
      { redis: URL, routableStates: ['running', ''] },
      'routableStates',
      /"routableStates" must not contain empty states/,
    );
    assertRejected(
      { redis: URL, routableStates: ['x'.repeat(257)] },
      'routableStates',
      /"routableStates" entries must be at most 256/,
    );
  });

  for (const field of ['commandTimeoutMs', 'connectTimeoutMs', 'healthCheckTimeoutMs'] as const) {
    it(`rejects a bad ${field}`, () => {
      assertRejected({ redis: URL, [field]: 0 }, field, new RegExp(`"${field}" must be at least 1`));
      assertRejected({ redis: URL, [field]: -5 }, field, new RegExp(`"${field}" must be at least 1`));
      assertRejected({ redis: URL, [field]: 1.5 }, field, new RegExp(`"${field}" must be an integer`));
      assertRejected({ redis: URL, [field]: '100' }, field, new RegExp(`"${field}" must be an integer`));
      assertRejected({ redis: URL, [field]: Number.NaN }, field, new RegExp(`"${field}" must be an integer`));
      assertRejected({ redis: URL, [field]: Number.POSITIVE_INFINITY }, field);
      assertRejected({ redis: URL, [field]: 600_001 }, field, new RegExp(`"${field}" must be at most 600000`));
    });
  }

  for (const field of ['lazyConnect', 'logOperations'] as const) {
    it(`rejects a non-boolean ${field}`, () => {
      for (const value of ['true', 1, 0, 'false']) {
        assertRejected({ redis: URL, [field]: value }, field, new RegExp(`"${field}" must be a boolean`));
      }
    });
  }

  it('names every bad option when several are bad', () => {
    let caught: unknown;
    try {
      resolveOptions({ keyPrefix: '{', commandTimeoutMs: 0 } as StatefulRedisModuleOptions);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof StatefulError);
    assert.equal(caught.code, ErrorCode.INVALID_PARAMETER);
    const fields = (caught.field ?? '').split(',');
    assert.deepEqual(new Set(fields), new Set(['redis|cluster|client', 'keyPrefix', 'commandTimeoutMs']));
    assert.match(caught.message, /"keyPrefix"/);
    assert.match(caught.message, /"commandTimeoutMs"/);
    assert.match(caught.message, /exactly one of/);
  });

  it('never puts a password of the redis URL into the message', () => {
    const error = assertRejected({ redis: 'redis://:hunter2pw@127.0.0.1:1', keyPrefix: '{' }, 'keyPrefix');
    assert.doesNotMatch(error.message, /hunter2pw/);
  });
});

describe('resolveOptions: a string where a number or a boolean belongs (an environment variable as it is)', () => {
  for (const [field, value, expected] of [
    ['commandTimeoutMs', '2000', 'an integer'],
    ['connectTimeoutMs', '10000', 'an integer'],
    ['healthCheckTimeoutMs', '', 'an integer'],
    ['lazyConnect', 'true', 'a boolean'],
  ] as const) {
    it(`${field}: ${JSON.stringify(value)} says "got a string", in one rule`, () => {
      const error = assertRejected({ redis: URL, [field]: value }, field);
      assert.match(
        error.message,
        new RegExp(
          `^Invalid StatefulRedisModule options: "${field}" must be ${expected}, got a string \\(${JSON.stringify(value)}\\)`,
        ),
      );
      assert.doesNotMatch(error.message, /at least|at most/, 'no rule of the number it is not');
    });
  }
});
