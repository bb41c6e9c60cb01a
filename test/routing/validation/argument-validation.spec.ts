import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ErrorCode, StatefulError, StatefulExecutorService } from '../../../lib';
import { describeOnTargets } from '../../harness/redis-target';
import { useTargetFixture } from '../../harness/target-fixture';

/** Each operation's valid arguments, in order, keyed by the field a refusal of that argument must name. */
const operations: Record<string, Record<string, unknown>> = {
  setServiceState: { namespace: 'ns', serviceName: 'svc', podId: 1, state: 'running' },
  getServiceState: { namespace: 'ns', serviceName: 'svc' },
  setWorkloadState: { namespace: 'ns', serviceName: 'svc', state: 'stable' },
  getWorkloadState: { namespace: 'ns', serviceNames: ['svc'] },
  setLinkedPod: { namespace: 'ns', uid: 'u', serviceName: 'svc', podId: 1, persistSeconds: -1 },
  trySetLinkedPod: { namespace: 'ns', uid: 'u', serviceName: 'svc', podId: 1, persistSeconds: -1 },
  setLinkedPodIfAbsent: { namespace: 'ns', uid: 'u', serviceName: 'svc', podId: 1, persistSeconds: 10 },
  computeLinkedPodIfAbsent: {
    namespace: 'ns',
    uid: 'u',
    serviceName: 'svc',
    persistSeconds: -1,
    options: { states: ['running'] },
  },
  getLinkedPod: { namespace: 'ns', uid: 'u', serviceName: 'svc' },
  getLinkedPodIfPersist: { namespace: 'ns', uid: 'u', serviceName: 'svc' },
  batchGetLinkedPod: { namespace: 'ns', uids: ['u'], serviceName: 'svc' },
  removeLinkedPod: { namespace: 'ns', uid: 'u', serviceName: 'svc', persistSeconds: 0 },
  removeLinkedPodWithId: { namespace: 'ns', uid: 'u', serviceName: 'svc', persistSeconds: 0, podId: 1 },
  getLinkService: { namespace: 'ns', uid: 'u' },
  setPodWeight: { namespace: 'ns', serviceName: 'svc', podId: 1, weight: 3 },
  removePod: { namespace: 'ns', serviceName: 'svc', podId: 1 },
};

/** Calls the operation `name` of the service with these arguments. */
const call = (service: StatefulExecutorService, name: string, args: unknown[]): Promise<unknown> =>
  (service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name](...args);

const badNames = ['', 'a{b', 'a}b', 'a\u0000b', 'tab\there', 'x'.repeat(513), '\ud800', 42, null, undefined];
const invalid: Record<string, unknown[]> = {
  namespace: [
    '',
    'a:b',
    'a{b',
    'a}b',
    'has space',
    'tab\t',
    'nl\n',
    '\u0007',
    'x'.repeat(254),
    '\udfff',
    7,
    null,
    undefined,
    {},
  ],
  uid: badNames,
  serviceName: badNames,
  podId: [-1, 2 ** 31, 1.5, NaN, Infinity, '1', null, undefined, 2n],
  state: ['', 'x'.repeat(257), '\ud800', 3, null, undefined],
  weight: [-1, 1.5, NaN, Infinity, 2 ** 53, '3', null],
  serviceNames: ['svc', null, [''], ['a{b'], [1]],
  uids: ['u', null, [''], ['u', 'a}b'], [undefined]],
  options: [null, 'running', { states: [] }, { states: [''] }, { states: 'running' }, { states: ['x'.repeat(257)] }],
};
const invalidPersistForSet = [0, -2, 1.5, 2 ** 31, NaN, Infinity, -Infinity, '60', null, undefined];
const invalidPersistForRemove = [1.5, 2 ** 31, NaN, Infinity, -Infinity, '0', null, undefined];

describeOnTargets('argument validation', (target) => {
  const f = useTargetFixture(target);

  for (const [name, validArgs] of Object.entries(operations)) {
    it(`${name} refuses every invalid argument with INVALID_PARAMETER naming it, and writes nothing`, async () => {
      const fields = Object.keys(validArgs);
      let refusals = 0;
      for (let index = 0; index < fields.length; index++) {
        const field = fields[index];
        const values =
          field === 'persistSeconds'
            ? name.startsWith('remove')
              ? invalidPersistForRemove
              : invalidPersistForSet
            : invalid[field];
        for (const value of values) {
          const args = Object.values(validArgs);
          args[index] = value;
          let pending: Promise<unknown> | undefined;
          assert.doesNotThrow(
            () => (pending = call(f.service, name, args)),
            'a refusal is a rejection, never a synchronous throw',
          );
          await assert.rejects(pending!, (error: unknown) => {
            assert.ok(
              error instanceof StatefulError,
              `${name}(${field}=${String(value)}) should reject with a StatefulError`,
            );
            assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
            assert.ok(error.field?.startsWith(field), `${name}: field ${error.field} should name ${field}`);
            assert.match(error.message, new RegExp(`${name}: invalid parameter "${field.replace('.', '\\.')}`));
            return true;
          });
          refusals++;
        }
      }
      assert.ok(refusals > 0);
      assert.deepEqual(await f.target.keys(), [], 'refused calls wrote nothing');
    });
  }

  it('error messages show short values and describe long ones without echoing them', async () => {
    await assert.rejects(f.service.getLinkedPod('ns', 'a{b', 'svc'), /got "a\{b"/);
    await assert.rejects(f.service.getLinkedPod('ns', 'y'.repeat(600), 'svc'), /got a string of 600 characters/);
  });

  it('a state of exactly 256 characters is accepted and stored whole; 257 are refused', async () => {
    const state = 's'.repeat(255) + '😀';
    await f.service.setServiceState('ns', 'svc', 1, state);
    await f.service.setWorkloadState('ns', 'svc', state);
    assert.deepEqual(await f.service.getServiceState('ns', 'svc'), { 1: state });
    assert.deepEqual(await f.service.getWorkloadState('ns', ['svc']), { svc: state });
    await f.service.setServiceState('ns', 'svc', 2, 'running');
    assert.equal(await f.service.computeLinkedPodIfAbsent('ns', 'u', 'svc', -1, { states: [state] }), 1);
    for (const call of [
      () => f.service.setServiceState('ns', 'svc', 1, state + 's'),
      () => f.service.setWorkloadState('ns', 'svc', state + 's'),
      () => f.service.computeLinkedPodIfAbsent('ns', 'v', 'svc', -1, { states: [state + 's'] }),
    ]) {
      await assert.rejects(call(), { code: 'INVALID_PARAMETER' });
    }
    assert.deepEqual(await f.service.getServiceState('ns', 'svc'), { 1: state, 2: 'running' });
  });

  it('names of exactly the maximum length in code points are accepted', async () => {
    const emoji = '😀'.repeat(512);
    assert.equal(await f.service.setLinkedPod('ns', emoji, 'svc', 1, -1), -1);
    assert.equal(await f.service.getLinkedPod('ns', emoji, 'svc'), 1);
    await assert.rejects(f.service.getLinkedPod('ns', emoji + '😀', 'svc'), {
      code: 'INVALID_PARAMETER',
      field: 'uid',
    });
  });
});
