/** Spans that look like JSON but do not parse, tried again from within before giving up on a text. */
const MAX_FAILED_SPANS = 32;

function parsedObject(span: string): object | undefined {
  try {
    const value: unknown = JSON.parse(span);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The index of the bracket that closes the one at `start` (brackets inside JSON strings not counted), or -1. */
function closingBracket(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{' || character === '[') depth++;
    else if ((character === '}' || character === ']') && --depth === 0) return index;
  }
  return -1;
}

/**
 * `text` with each JSON object or array it holds (`upstream 401: {"user":"bob","password":"…"}`) replaced by
 * `replace(parsed)`, so that its secrets are found by name like a payload's. A bracketed span that does not
 * parse is searched from within, a bounded number of times: the cost stays linear in the text's length, and
 * what is left unparsed is still read by the text rules.
 */
export function replaceEmbeddedJson(text: string, replace: (value: object) => string): string {
  let result = '';
  let copiedUpTo = 0;
  let failures = 0;
  for (let start = 0; start < text.length && failures < MAX_FAILED_SPANS; start++) {
    if (text[start] !== '{' && text[start] !== '[') continue;
    const end = closingBracket(text, start);
    const value = end < 0 ? undefined : parsedObject(text.slice(start, end + 1));
    if (value === undefined) {
      failures++;
      continue;
    }
    result += text.slice(copiedUpTo, start) + replace(value);
    copiedUpTo = end + 1;
    start = end;
  }
  return result + text.slice(copiedUpTo);
}
