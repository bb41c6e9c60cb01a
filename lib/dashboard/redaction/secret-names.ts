/**
 * Words that make a name a secret's, looked for in the name lower-cased without separators (`api_key`,
 * `X-Api-Key`, `apiKey` all read `apikey`). Broad on purpose: a hidden harmless value costs less than a shown
 * secret.
 */
const SECRET_WORD = new RegExp(
  'passw|passphrase|pwd|secret|token|credential|auth|jwt|cookie|session|signature|' +
    'apikey|accesskey|signingkey|privatekey',
);

/** Endings that make a name a secret's: `key`, `keys` (`apiKey`, `signing_key`, `KEY`). */
const SECRET_ENDING = /keys?$/;

/** Whether a property, parameter or header of this name holds a secret (`password`, `apiKey`, `session`, ...). */
export function isSecretName(name: string): boolean {
  const folded = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return folded === 'pass' || SECRET_WORD.test(folded) || SECRET_ENDING.test(folded);
}
