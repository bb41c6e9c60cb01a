import assert from 'node:assert/strict';
import calculateSlot = require('cluster-key-slot');
import { describe, it } from 'node:test';
import { KeySchema } from '../../../lib/routing/keys/key-schema';

describe('KeySchema', () => {
  const keys = new KeySchema('sf');

  it('builds the wire-format keys', () => {
    assert.equal(keys.uidLinks('ns', 'u'), 'sf:{ns:lk:u}');
    assert.equal(keys.link('ns', 'u', 'svc'), 'sf:{ns:lk:u}svc');
    assert.equal(keys.podStates('ns', 'svc'), 'sf:{ns:state:svc}');
    assert.equal(keys.podWeights('ns', 'svc'), 'sf:{ns:state:svc}weight');
    assert.equal(keys.workload('ns', 'svc'), 'sf:{ns:workload:svc}');
    assert.equal(new KeySchema('tpf').link('ns', 'u', 'svc'), 'tpf:{ns:lk:u}svc');
  });

  it('puts every key of a uid, and every key of a service, in one cluster slot', () => {
    assert.equal(calculateSlot(keys.uidLinks('ns', 'user-1')), calculateSlot(keys.link('ns', 'user-1', 'svc:a:b')));
    assert.equal(calculateSlot(keys.podStates('ns', 'svc')), calculateSlot(keys.podWeights('ns', 'svc')));
  });
});
