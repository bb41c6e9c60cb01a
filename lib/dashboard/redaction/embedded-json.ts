/** Bracket scans that find no JSON, tried again from within before giving up on a text. */
const MAX_FAILED_SPANS = 32;

function parsedObject(span: string): object | undefined {
  try {
    const value: unknown = JSON.parse(span);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A span of JSON held in a JSON string (`{\"a\":\"b\"}`) with its escapes undone once, or '' when it has none. */
function unescapedOnce(span: string): string {
  try {
    return JSON.parse(`"${span}"`) as string;
  } catch {
    return '';
  }
}

/**
 * The index of the bracket that closes the one at `start` (brackets inside JSON strings not counted), or -1.
 * `escaped`: the JSON stands inside a JSON string, each of its characters escaped once (`{\"a\":\"b\\\"c\"}`),
 * and an unescaped quote ends that string before the bracket closes.
 */
function closingBracket(text: string, start: number, escaped: boolean): number {
  let depth = 0;
  let inString = false;
  let afterBackslash = false;
  for (let index = start; index < text.length; index++) {
    let character = text[index];
    if (escaped) {
      if (character === '"') return -1;
      if (character === '\\') {
        const next = text[++index];
        // `\\` and `\"` stand for `\` and `"`; another escape (`\n`, `\u…`) for a character that marks nothing.
        character = next === '\\' || next === '"' ? next : ' ';
      }
    }
    if (inString) {
      if (afterBackslash) afterBackslash = false;
      else if (character === '\\') afterBackslash = true;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{' || character === '[') depth++;
    else if ((character === '}' || character === ']') && --depth === 0) return index;
  }
  return -1;
}

/** The JSON object or array that opens at `start`, written as is or `escaped` once, and where it ends. */
function jsonAt(text: string, start: number, escaped: boolean): { value: object; end: number } | undefined {
  const end = closingBracket(text, start, escaped);
  if (end < 0) return undefined;
  const span = text.slice(start, end + 1);
  const value = parsedObject(escaped ? unescapedOnce(span) : span);
  return value === undefined ? undefined : { value, end };
}

/**
 * `text` with each JSON object or array it holds (`upstream 401: {"user":"bob","password":"…"}`) replaced by
 * `replace(parsed)`, so that its secrets are found by name like a payload's. JSON as it stands is tried first, so
 * that a value holding an escaped quote (`"pa\"ss"`) parses; then, in a text with escaped quotes, JSON stringified
 * twice (an HTTP client's `body="{\"password\":\"…\"}"`), read with its escapes undone once and put back escaped.
 * A bracketed span that does not parse is searched from within, a bounded number of times: the cost stays linear
 * in the text's length, and what is left unparsed is still read by the text rules.
 */
export function replaceEmbeddedJson(text: string, replace: (value: object) => string): string {
  const mayHoldEscapedJson = text.includes('\\"');
  let result = '';
  let copiedUpTo = 0;
  let failures = 0;
  for (let start = 0; start < text.length && failures < MAX_FAILED_SPANS; start++) {
    if (text[start] !== '{' && text[start] !== '[') continue;
    let found = jsonAt(text, start, false);
    let escaped = false;
    if (found === undefined && mayHoldEscapedJson) {
      failures++;
      found = jsonAt(text, start, true);
      escaped = true;
    }
    if (found === undefined) {
      failures++;
      continue;
    }
    const replaced = replace(found.value);
    result += text.slice(copiedUpTo, start) + (escaped ? JSON.stringify(replaced).slice(1, -1) : replaced);
    copiedUpTo = found.end + 1;
    start = found.end;
  }
  return result + text.slice(copiedUpTo);
}
