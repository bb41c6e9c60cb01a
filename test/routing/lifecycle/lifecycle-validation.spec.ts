import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, StatefulError, StatefulExecutorService, StatefulRedisModuleOptions } from '../../../lib';
import { resolveOptions } from '../../../lib/core/options/resolve-options';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';

const badNames = ['', 'a{b', 'a}b', 'a\u0000b', 'x'.repeat(513), '\ud800', 42, null, undefined];
const badNamespaces = ['', 'a:b', 'a{b', 'has space', 'x'.repeat(254), 7, null, undefined];
const badPodIds = [-1, 2 ** 31, 1.5, NaN, '1', null, undefined];

/** Each new operation: its valid arguments, and per argument the invalid values and the field they must name. */
const cases: Array<{
  name: string;
  valid: unknown[];
  invalid: Array<{ index: number; values: unknown[]; field: string | ((value: unknown) => string) }>;
}> = [
  {
    name: 'heartbeat',
    valid: ['ns', 'svc', 1],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: badNames, field: 'serviceName' },
      { index: 2, values: badPodIds, field: 'podId' },
    ],
  },
  {
    name: 'getPods',
    valid: ['ns', 'svc'],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: badNames, field: 'serviceName' },
    ],
  },
  ...['removeSilentPod', 'markSilentPod'].map((name) => ({
    name,
    valid: ['ns', 'svc', 1, 1_700_000_000_000],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: badNames, field: 'serviceName' },
      { index: 2, values: badPodIds, field: 'podId' },
      { index: 3, values: [-1, 1.5, NaN, '1', null, undefined], field: 'lastSeenAt' },
    ],
  })),
  {
    name: 'removePodLinks',
    valid: ['ns', 'svc', 1, { lingerSeconds: 5, onProgress: () => undefined }],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: badNames, field: 'serviceName' },
      { index: 2, values: badPodIds, field: 'podId' },
      { index: 3, values: [null, 'x', []], field: 'options' },
      {
        index: 3,
        values: [{ lingerSeconds: 1.5 }, { lingerSeconds: 2 ** 31 }, { lingerSeconds: '5' }, { lingerSeconds: null }],
        field: 'options.lingerSeconds',
      },
      { index: 3, values: [{ onProgress: 'log' }, { onProgress: null }], field: 'options.onProgress' },
    ],
  },
  {
    name: 'batchGetServiceState',
    valid: ['ns', ['a', 'b']],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: ['svc', null], field: 'serviceNames' },
      { index: 1, values: [[''], [1]], field: 'serviceNames[0]' },
      { index: 1, values: [['a', 'b{']], field: 'serviceNames[1]' },
    ],
  },
  {
    name: 'batchSetServiceState',
    valid: ['ns', { a: { 0: 'running' }, b: { 1: 'draining', 2: 'running' } }],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: [null, 'x', [], new Map()], field: 'states' },
      { index: 1, values: [{ ok: { 0: 'running' }, 'a{b': { 0: 'running' } }], field: 'states["a{b"]' },
      { index: 1, values: [{ ok: { 0: 'running' }, svc: ['running'] }, { svc: null }], field: 'states["svc"]' },
      {
        index: 1,
        values: [
          { ok: { 0: 'running' }, svc: { '07': 'running' } },
          { svc: { '-1': 'running' } },
          { svc: { 2147483648: 'running' } },
          { svc: { x: 'running' } },
        ],
        field: (value) => `states["svc"][${JSON.stringify(Object.keys((value as { svc: object }).svc)[0])}]`,
      },
      {
        index: 1,
        values: [{ ok: { 0: 'running' }, svc: { 3: '' } }, { svc: { 3: 'x'.repeat(257) } }, { svc: { 3: 1 } }],
        field: 'states["svc"]["3"]',
      },
      { index: 2, values: [null, 'x', []], field: 'options' },
      { index: 2, values: [{ asPodReport: 'no' }, { asPodReport: 0 }], field: 'options.asPodReport' },
    ],
  },
  {
    name: 'setServiceState',
    valid: ['ns', 'svc', 0, 'running', { asPodReport: false }],
    invalid: [{ index: 4, values: [{ asPodReport: 'no' }, { asPodReport: null }], field: 'options.asPodReport' }],
  },
  {
    name: 'findServices',
    valid: ['ns', { limit: 10 }],
    invalid: [
      { index: 0, values: ['', 'a:b', 'a{b', 7, null], field: 'namespace' },
      { index: 1, values: [null, 'x'], field: 'options' },
      { index: 1, values: [{ limit: 0 }, { limit: 1.5 }, { limit: 100_001 }, { limit: '5' }], field: 'options.limit' },
    ],
  },
  {
    name: 'getUserLinks',
    valid: ['ns', 'u'],
    invalid: [
      { index: 0, values: badNamespaces, field: 'namespace' },
      { index: 1, values: badNames, field: 'uid' },
    ],
  },
];

const call = (service: StatefulExecutorService, name: string, args: unknown[]): Promise<unknown> =>
  (service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name](...args);

describeOnTargets('lifecycle argument validation', (target) => {
  const f = useTargetFixture(target);

  for (const { name, valid, invalid } of cases) {
    it(`${name} refuses every invalid argument with INVALID_PARAMETER naming it, and writes nothing`, async () => {
      let refusals = 0;
      for (const { index, values, field } of invalid) {
        for (const value of values) {
          const args = [...valid];
          args[index] = value;
          const expected = typeof field === 'function' ? field(value) : field;
          await assert.rejects(call(f.service, name, args), (error: unknown) => {
            assert.ok(error instanceof StatefulError, `${name}(${String(value)}): ${String(error)}`);
            assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
            assert.equal(error.field, expected, `${name}: ${error.message}`);
            assert.ok(error.message.startsWith(`${name}: invalid parameter "${expected}"`), error.message);
            return true;
          });
          refusals++;
        }
      }
      assert.ok(refusals > 0);
      assert.deepEqual(await f.target.keys(), [], 'refused calls wrote nothing');
      // The valid arguments are accepted.
      await call(f.service, name, valid);
    });
  }
});

describe('podLiveness option', () => {
  const base: StatefulRedisModuleOptions = { redis: 'redis://127.0.0.1:1' };
  const rejected = (podLiveness: unknown, message: RegExp, field = 'podLiveness') => {
    assert.throws(
      () => resolveOptions({ ...base, podLiveness } as StatefulRedisModuleOptions),
      (error: unknown) => {
        assert.ok(error instanceof StatefulError);
        assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
        assert.equal(error.field, field);
        assert.match(error.message, message);
        return true;
      },
    );
  };

  it('is off unless set, and resolved as given', () => {
    assert.equal(resolveOptions(base).podLiveness, undefined);
    assert.deepEqual(resolveOptions({ ...base, podLiveness: { timeoutMs: 30_000 } }).podLiveness, {
      timeoutMs: 30_000,
    });
    assert.deepEqual(
      resolveOptions({ ...base, podLiveness: { timeoutMs: 30_000, sweepAfterMs: 30_000, sweepCron: '*/5 * * * * *' } })
        .podLiveness,
      { timeoutMs: 30_000, sweepAfterMs: 30_000, sweepCron: '*/5 * * * * *' },
    );
  });

  it('refuses bad values with a message naming the field', () => {
    rejected(30_000, /"podLiveness" must be an object/);
    rejected({}, /"podLiveness\.timeoutMs" must be an integer/);
    for (const timeoutMs of [0, -1, 1.5, '30000', 2 ** 31, null])
      rejected({ timeoutMs }, /"podLiveness\.timeoutMs" must be an integer from 1/);
    for (const sweepAfterMs of [0, 1.5, '60000', 2 ** 31])
      rejected({ timeoutMs: 1_000, sweepAfterMs }, /"podLiveness\.sweepAfterMs" must be an integer from 1/);
    rejected({ timeoutMs: 60_000, sweepAfterMs: 59_999 }, /"podLiveness\.sweepAfterMs" must be at least/);
    rejected({ timeoutMs: 1_000, sweepAfterMs: 2_000, sweepCron: '' }, /"podLiveness\.sweepCron" must be/);
    rejected({ timeoutMs: 1_000, sweepCron: '* * * * * *' }, /"podLiveness\.sweepCron" needs/);
  });

  it('catches a misspelled key inside it', () => {
    rejected(
      { timeoutMs: 1_000, sweepAfterMS: 2_000 },
      /unknown option "podLiveness\.sweepAfterMS" — did you mean "podLiveness\.sweepAfterMs"/,
      'podLiveness.sweepAfterMS',
    );
    rejected({ timeout: 1_000 }, /unknown option "podLiveness\.timeout"/, 'podLiveness.timeout');
  });
});
