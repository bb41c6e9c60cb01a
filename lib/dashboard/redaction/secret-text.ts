import { readingEncodedWords, scrubText, URL_USER_INFO } from '../../core/errors/credential-scrubber';
import { isSecretName } from './secret-names';

/** What a secret in a text is replaced with. */
const REDACTED = '[redacted]';

/** A quoted value, up to its closing quote, or to the end of the line when it has none (a text cut short). */
const QUOTED = String.raw`"(?:[^"\\\r\n]|\\.)*"?|'(?:[^'\\\r\n]|\\.)*'?`;

/**
 * A value quoted inside a JSON string (JSON stringified twice: `\"pa\\\"ss\"`), up to its closing `\"` or to the
 * end of the line. Each `\\` stands for a backslash of the inner JSON, which escapes what follows it.
 */
const ESCAPED_QUOTED = String.raw`\\"(?:[^"\\\r\n]|\\\\(?:\\.|[^"\\\r\n])|\\[^"\\\r\n])*(?:\\")?`;

/**
 * `Authorization:` and `Proxy-Authorization:` with any scheme (`Token …`, `Digest …`): the whole value, with the
 * lines folded into it (a line starting with a space or a tab continues the header: HTTP/1.1's obs-fold).
 */
const AUTHORIZATION = new RegExp(
  String.raw`\b((?:proxy-)?authori[sz]ation["']?\s*[:=]\s*)(${QUOTED}|[^\r\n;]+(?:\r?\n[ \t]+[^\r\n;]*)*)`,
  'gi',
);

/** `Bearer <token>`, `Basic <base64>` wherever they stand. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

/**
 * `name=value` and `name: value`: query and connection strings (`?api_key=…&x=1`, `Password=…;`), YAML, JSON
 * (`"password":"…"`). The name bare or quoted, then its separator; names (and URL schemes above) are bounded in
 * length, so that a long run of name characters costs linear time, not quadratic.
 */
const NAME_AND_SEPARATOR = /((?:\\?["'])?)\b([A-Za-z][A-Za-z0-9_.-]{0,63})\1([ \t]*(?:=|:(?!\/\/))[ \t]*)/g;

/**
 * The value after a secret's name and separator: quoted, or bare up to a space or a separator of those forms (`&`,
 * `;`, `,`): `#` and `?` belong to it. Read only after a name that looks secret: the value of another name is
 * read for names of its own instead, each character once.
 */
const VALUE = new RegExp(String.raw`${ESCAPED_QUOTED}|${QUOTED}|[^\s&;,"']+`, 'y');

/**
 * A YAML key whose value is on the lines below it: a block scalar (`password: |`, `>-`, `|2+`) or nothing on its
 * own line (`password:` then the value, indented). The key's line up to its colon in `head`, its indentation (a
 * list item's `- ` apart) in `indent`.
 */
const YAML_BLOCK_KEY = new RegExp(
  String.raw`^(?<head>(?<indent>[ \t]*)(?:-[ \t]+)?(["']?)(?<name>[A-Za-z][A-Za-z0-9_.-]{0,63})\3[ \t]*:)` +
    String.raw`[ \t]*(?:[|>][1-9+-]{0,2})?[ \t]*(?:#[^\r\n]*)?(?=\r?\n)`,
  'gm',
);

/** Where the lines indented deeper than `indent` that follow `from` (a line's end) end; `from` when there is none. */
function endOfIndentedLines(text: string, from: number, indent: number): number {
  let end = from;
  for (let lineEnd = from; lineEnd < text.length;) {
    const lineStart = lineEnd + 1;
    const next = text.indexOf('\n', lineStart);
    lineEnd = next < 0 ? text.length : next;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const depth = line.length - line.trimStart().length;
    // A blank line belongs to the block only when a deeper line follows it.
    if (line.trim() === '') continue;
    if (depth <= indent) break;
    end = lineStart + line.length;
  }
  return end;
}

/**
 * Each YAML value named like a secret that stands on the lines below its key, taken whole:
 * `password: |\n    …\n` reads `password: [redacted]\n`. The lines of each block are read once.
 */
function redactYamlBlocks(text: string): string {
  let result = '';
  let copiedUpTo = 0;
  const pattern = new RegExp(YAML_BLOCK_KEY);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const { head, indent, name } = match.groups as { head: string; indent: string; name: string };
    const keyLineEnd = match.index + match[0].length;
    const end = isSecretName(name) ? endOfIndentedLines(text, keyLineEnd, indent.length) : keyLineEnd;
    if (end === keyLineEnd) continue;
    result += `${text.slice(copiedUpTo, match.index)}${head} ${REDACTED}`;
    copiedUpTo = end;
    pattern.lastIndex = end;
  }
  return result + text.slice(copiedUpTo);
}

/**
 * `[redacted]` in the quotes of the value it replaces: `"…"` stays `"[redacted]"`, an unclosed `"…` `"[redacted]`,
 * `\"…\"` `\"[redacted]\"`.
 */
function redactedLike(value: string): string {
  const quote = /^\\?["']/.exec(value)?.[0];
  if (quote === undefined) return REDACTED;
  return value.length > quote.length && value.endsWith(quote) ? `${quote}${REDACTED}${quote}` : `${quote}${REDACTED}`;
}

function isRedacted(value: string): boolean {
  return value.replace(/^\\?["']/, '').startsWith('[redacted');
}

/**
 * Each value named like a secret replaced. The value of another name is read again for names of its own: in
 * `failed: https://api/?token=…` the value of `failed` holds the secret.
 */
function redactNamedValues(text: string): string {
  let result = '';
  let copiedUpTo = 0;
  const pattern = new RegExp(NAME_AND_SEPARATOR);
  const value = new RegExp(VALUE);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const [whole, quote, name, separator] = match;
    if (!isSecretName(name)) continue;
    value.lastIndex = match.index + whole.length;
    const secret = value.exec(text)?.[0];
    if (secret === undefined || isRedacted(secret)) continue;
    result += `${text.slice(copiedUpTo, match.index)}${quote}${name}${quote}${separator}${redactedLike(secret)}`;
    copiedUpTo = value.lastIndex;
    pattern.lastIndex = copiedUpTo;
  }
  return result + text.slice(copiedUpTo);
}

/** Passwords that say the user name is the credential (`https://<token>:x-oauth-basic@github.com`). */
const TOKEN_AS_USER_PASSWORDS = new Set(['x-oauth-basic', 'x-oauth-token', 'x-token-auth', 'x-access-token', '']);

/** Whether a URL's user name reads as a name (`app`, `default`), not a token: short, without digits. */
function looksLikeUserName(user: string): boolean {
  return user.length <= 32 && !/\d/.test(user);
}

function redactUserInfo(_match: string, scheme: string, userInfo: string): string {
  const colon = userInfo.indexOf(':');
  const user = colon < 0 ? userInfo : userInfo.slice(0, colon);
  const password = colon < 0 ? '' : userInfo.slice(colon + 1);
  // Without a password, or with a placeholder one, the user info of a URL is a token (`https://ghp_…@github.com`).
  const userIsToken = colon < 0 || TOKEN_AS_USER_PASSWORDS.has(password.toLowerCase()) || !looksLikeUserName(user);
  return userIsToken ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`;
}

/**
 * A text with the secrets it shows in passing replaced: URL passwords and tokens (`scheme://token@`),
 * `Authorization` values, bearer and basic credentials, values named like secrets (`token=…`, `Password="…"`,
 * `"password":"…"`, `password: …`, a YAML block `password: |`), and the passwords the app's modules were given;
 * in percent-encoded words too, read decoded (`%3Ftoken%3D…`, `Authorization%3A%20Bearer%20…`).
 */
export function redactText(text: string): string {
  return readingEncodedWords(text, redactPlainText);
}

function redactPlainText(text: string): string {
  // Authorization first: its value is a scheme and a credential, of which the named-value rule would take the scheme
  // only.
  const withoutCredentials = text
    .replace(URL_USER_INFO, redactUserInfo)
    .replace(AUTHORIZATION, (match: string, name: string, value: string) =>
      isRedacted(value) ? match : `${name}${redactedLike(value)}`,
    )
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`);
  return scrubText(redactNamedValues(redactYamlBlocks(withoutCredentials)));
}
