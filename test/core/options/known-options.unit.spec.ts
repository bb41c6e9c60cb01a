import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, StatefulError, StatefulRedisModule, StatefulRedisModuleOptions } from '../../../lib';
import { assertKnownOptions, OptionShape } from '../../../lib/core/options/known-options';
import { resolveOptions } from '../../../lib/core/options/resolve-options';
import { silentLogger } from '../../harness/capturing-logger';

const URL = 'redis://127.0.0.1:1';

function rejection(action: () => unknown): StatefulError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof StatefulError, `expected a StatefulError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

function resolve(options: Record<string, unknown>): StatefulError {
  return rejection(() => resolveOptions(options as StatefulRedisModuleOptions));
}

describe('assertKnownOptions', () => {
  const shape: OptionShape = { alpha: true, betaGamma: true, nested: { inner: true, other: true }, open: true };

  it('accepts known keys, at any depth, and leaves pass-through values alone', () => {
    assertKnownOptions({ alpha: 1, nested: { inner: 2 }, open: { anything: true, at: { all: 1 } } }, shape, 'Test');
  });

  it('skips a nested shape whose value is not a plain object (booleans, arrays, undefined)', () => {
    assertKnownOptions({ nested: true }, shape, 'Test');
    assertKnownOptions({ nested: undefined }, shape, 'Test');
    assertKnownOptions({ nested: ['x'] }, shape, 'Test');
  });

  it('names the unknown key and the closest known one, ignoring case', () => {
    const error = rejection(() => assertKnownOptions({ betagamma: 1 }, shape, 'Test'));
    assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
    assert.equal(error.field, 'betagamma');
    assert.equal(error.message, 'Invalid Test options: unknown option "betagamma" — did you mean "betaGamma"?');
  });

  it('names the path of a nested unknown key', () => {
    const error = rejection(() => assertKnownOptions({ nested: { iner: 1 } }, shape, 'Test'));
    assert.equal(error.field, 'nested.iner');
    assert.match(error.message, /unknown option "nested\.iner" — did you mean "nested\.inner"\?/);
  });

  it('lists the known keys when none is close', () => {
    const error = rejection(() => assertKnownOptions({ zzzzzzzz: 1 }, shape, 'Test'));
    assert.match(error.message, /unknown option "zzzzzzzz" \(known: alpha, betaGamma, nested, open\)/);
  });
});

describe('StatefulRedisModule options: typos stop the app', () => {
  it('a misspelled top-level option', () => {
    const error = resolve({ redis: URL, nearcache: { maxEntries: 10 } });
    assert.equal(error.field, 'nearcache');
    assert.match(error.message, /unknown option "nearcache" — did you mean "nearCache"\?/);
    assert.match(
      resolve({ redis: URL, comandTimeoutMs: 5 }).message,
      /"comandTimeoutMs" — did you mean "commandTimeoutMs"\?/,
    );
  });

  it('a misspelled nested option of the module (nearCache, metrics, cluster)', () => {
    assert.equal(resolve({ redis: URL, nearCache: { maxEntires: 10 } }).field, 'nearCache.maxEntires');
    assert.match(resolve({ redis: URL, metrics: { registy: {} } }).message, /did you mean "metrics\.registry"\?/);
    assert.match(
      resolve({ cluster: { node: [{ port: 1 }] } }).message,
      /"cluster\.node" — did you mean "cluster\.nodes"\?/,
    );
  });

  it('leaves what goes to ioredis alone: redis options, cluster.options, client', () => {
    resolveOptions({
      redis: { host: '127.0.0.1', port: 1, enableAutoPipelining: false, someFutureOption: 1 } as never,
    });
    resolveOptions({
      cluster: { nodes: [{ port: 1 }], options: { scaleReads: 'slave', futureOption: true } as never },
    });
    const client = new Redis({ lazyConnect: true });
    try {
      resolveOptions({ client });
    } finally {
      client.disconnect();
    }
  });

  it('a typo in forRoot stops the app at startup', async () => {
    await assert.rejects(
      async () => {
        const moduleRef = await Test.createTestingModule({
          imports: [StatefulRedisModule.forRoot({ redis: URL, logOperation: true } as StatefulRedisModuleOptions)],
        })
          .setLogger(silentLogger)
          .compile();
        await moduleRef.close();
      },
      (error: unknown) =>
        error instanceof StatefulError &&
        /unknown option "logOperation" — did you mean "logOperations"\?/.test(error.message),
    );
  });
});
