import { scrubText } from '../../core/errors/credential-scrubber';

/** What a secret in a text is replaced with. */
const REDACTED = '[redacted]';

/**
 * Words that make a name a secret's, looked for in the name lower-cased without separators (`api_key`,
 * `X-Api-Key`, `apiKey` all read `apikey`). Broad on purpose: a hidden harmless value costs less than a shown
 * secret.
 */
const SECRET_WORD =
  /passw|passphrase|pwd|secret|token|credential|auth|jwt|cookie|session|signature|apikey|accesskey|signingkey|privatekey/;

/** Endings that make a name a secret's: `key`, `keys` (`apiKey`, `signing_key`, `KEY`). */
const SECRET_ENDING = /keys?$/;

/** `scheme://token@`: a URL's user info without a password is often a token (`scrubText` takes `user:password@`). */
const URL_USER_ONLY = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@:]+@/gi;

/** `Authorization` values: `Bearer <token>`, `Basic <base64>`. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

/** `name=value` in query strings and connection strings (`?api_key=…&x=1`, `Password=…;`), and `name: value`. */
const NAMED_VALUE = /([A-Za-z][A-Za-z0-9_.-]*)(\s*=\s*|:(?!\/\/)\s*)([^\s&;,"'?#]+)/g;

/** Whether a property, parameter or header of this name holds a secret (`password`, `apiKey`, `session`, ...). */
export function isSecretName(name: string): boolean {
  const folded = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return folded === 'pass' || SECRET_WORD.test(folded) || SECRET_ENDING.test(folded);
}

/**
 * A text with the secrets it shows in passing replaced: URL passwords and tokens (`scheme://token@`), bearer and basic credentials,
 * values named like secrets (`token=…`, `Password=…;`), and the passwords the app's modules were given.
 */
export function redactText(text: string): string {
  return scrubText(
    text
      .replace(URL_USER_ONLY, `$1${REDACTED}@`)
      .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
      .replace(NAMED_VALUE, (match: string, name: string, separator: string, value: string) =>
        isSecretName(name) && value !== REDACTED ? `${name}${separator}${REDACTED}` : match,
      ),
  );
}
