import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerSecrets } from '../../../lib/core/errors/credential-scrubber';
import { SCHEDULER_LIMITS } from '../../../lib/scheduler/options/scheduler-limits';
import { storedErrorMessage } from '../../../lib/scheduler/runtime/stored-error-message';

const MAX_BYTES = SCHEDULER_LIMITS.maxErrorMessageBytes;
const SECRET = 'unit-known-secret-31f9';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('storedErrorMessage', () => {
  let release: () => void;
  before(() => (release = registerSecrets([SECRET])));
  after(() => release());

  it('keeps a short message as it is', () => {
    assert.equal(storedErrorMessage('upstream said no'), 'upstream said no');
    assert.equal(storedErrorMessage(''), '');
  });

  it('scrubs known passwords and URL passwords, as the logs are', () => {
    const stored = storedErrorMessage(`auth ${SECRET} failed for redis://app:hunter22@db:6379/0`);
    assert.equal(stored, 'auth [redacted] failed for redis://app:[redacted]@db:6379/0');
  });

  it(`caps a long message at ${MAX_BYTES} bytes of UTF-8, saying how long it was`, () => {
    const long = 'x'.repeat(4 * 1024 * 1024);
    const stored = storedErrorMessage(long);
    assert.ok(bytes(stored) <= MAX_BYTES, `${bytes(stored)} bytes`);
    assert.match(stored, /^x+… \[truncated, 4194304 characters in all\]$/);
    assert.ok(bytes(stored) > MAX_BYTES - 8, 'the budget is used, not wasted');
  });

  it('a message of exactly the cap is kept whole; one byte more is cut', () => {
    assert.equal(storedErrorMessage('y'.repeat(MAX_BYTES)), 'y'.repeat(MAX_BYTES));
    assert.match(storedErrorMessage('y'.repeat(MAX_BYTES + 1)), /\[truncated, 2049 characters in all\]$/);
  });

  it('never cuts a character in two (3- and 4-byte UTF-8 sequences, surrogate pairs)', () => {
    for (const unit of ['€', '😀', 'a😀', 'ab€']) {
      const text = unit.repeat(3000);
      const stored = storedErrorMessage(text);
      assert.ok(bytes(stored) <= MAX_BYTES, `${unit}: ${bytes(stored)} bytes`);
      assert.ok(stored.isWellFormed(), `${unit}: well-formed`);
      const kept = stored.slice(0, stored.indexOf('… [truncated'));
      assert.ok(text.startsWith(kept), `${unit}: a prefix of the message`);
      const characters = [...text].length;
      assert.ok(stored.endsWith(`[truncated, ${characters} characters in all]`), stored.slice(-60));
    }
  });

  it('scrubs before it cuts: a password across the cut is not left half', () => {
    // Wherever the password falls around the cut, no part of it longer than a few characters is kept.
    for (let offset = MAX_BYTES - 80; offset < MAX_BYTES; offset++) {
      const stored = storedErrorMessage(`${'z'.repeat(offset)}${SECRET}${'z'.repeat(100)}`);
      const kept = stored.slice(0, stored.indexOf('… [truncated'));
      for (let length = 4; length <= SECRET.length; length++)
        assert.ok(!kept.endsWith(SECRET.slice(0, length)), `offset ${offset}: ${kept.slice(-40)}`);
    }
  });
});
