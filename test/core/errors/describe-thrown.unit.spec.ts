import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeThrown } from '../../../lib/core/errors/describe-thrown';

class MessageGetterThrows extends Error {
  override get message(): string {
    throw new Error('no message for you');
  }
}

const toStringThrows = {
  toString(): string {
    throw new Error('not printable');
  },
};

const revoked = Proxy.revocable({}, {});
revoked.revoke();

describe('describeThrown', () => {
  it("an Error's message; a string as it is", () => {
    assert.equal(describeThrown(new Error('upstream said no')), 'upstream said no');
    assert.equal(describeThrown(new TypeError('')), '');
    assert.equal(describeThrown('plain text'), 'plain text');
  });

  it('primitives and printable objects as String() prints them', () => {
    assert.equal(describeThrown(null), 'null');
    assert.equal(describeThrown(undefined), 'undefined');
    assert.equal(describeThrown(42), '42');
    assert.equal(describeThrown(10n), '10');
    assert.equal(describeThrown(Symbol('odd')), 'Symbol(odd)');
    assert.equal(describeThrown({ toString: () => 'custom' }), 'custom');
  });

  it('never throws: values String() cannot print are described by their kind', () => {
    assert.equal(describeThrown(Object.create(null)), '[object Object]');
    assert.equal(describeThrown(toStringThrows), '[object Object]');
    assert.equal(describeThrown(new MessageGetterThrows()), '[object Error]');
    assert.equal(describeThrown(Object.assign(new Error('x'), { message: Object.create(null) })), '[object Error]');
    assert.equal(describeThrown(revoked.proxy), 'a thrown value that cannot be printed');
  });
});
