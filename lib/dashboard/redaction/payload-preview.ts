import { scrubText } from '../../core/errors/credential-scrubber';
import { truncate } from '../views/view-format';
import { replaceEmbeddedJson } from './embedded-json';
import { isSecretName } from './secret-names';
import { redactText } from './secret-text';
import { describeValue } from './value-description';

/** Longest payload text shown; the rest is summarised. */
const PAYLOAD_PREVIEW_LIMIT = 2_048;

/** Longest error message shown in a run's row. */
const ERROR_PREVIEW_LIMIT = 300;

/** Longest error stack shown (on hover) in a run's row. */
const STACK_PREVIEW_LIMIT = 4_096;

/** Depth past which a payload is not walked (a payload is at most 64 KiB of JSON). */
const MAX_DEPTH = 20;

/** More rules for a text about to be shown, run on it whole before it is cut (the app's, the connection's). */
export type TextRule = (text: string) => string;

const NO_MORE_RULES: TextRule = (text) => text;

/** What a hidden value was, without the value: `[redacted: string, 23 chars]`, `[redacted: object, 2 keys]`. */
function hidden(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  return `[redacted: ${describeValue(value)}]`;
}

/**
 * A text with the JSON it holds walked like a payload (its secrets found by name), then the text rules. JSON
 * stringified twice (an HTTP client's `body="{\"password\":\"…\"}"`) is read with its quotes unescaped once.
 */
function redactString(text: string, depth: number): string {
  const unescaped = text.includes('\\"') ? text.replace(/\\"/g, '"') : text;
  const walked =
    depth < MAX_DEPTH ? replaceEmbeddedJson(unescaped, (value) => JSON.stringify(redact(value, depth + 1))) : unescaped;
  return redactText(walked);
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value, depth);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, isSecretName(name) ? hidden(item) : redact(item, depth + 1)]),
  );
}

/**
 * A task's payload as shown: every key, but the value of a key named like a secret (`password`, `pwd`,
 * `apiKey`, `signing_key`, `jwt`, `session`, `auth...`, anything ending in `key`, ...) only as its type and
 * size; in the other values, secrets seen in passing (URL credentials, `Authorization` values, `token=…`,
 * `Password="…"`) are redacted, and JSON held in a string is walked like the payload. Then `more` rules, then
 * cut at `PAYLOAD_PREVIEW_LIMIT` characters.
 */
export function payloadPreview(payload: unknown, more: TextRule = NO_MORE_RULES): string {
  return truncate(more(scrubText(JSON.stringify(redact(payload, 0)) ?? 'null')), PAYLOAD_PREVIEW_LIMIT);
}

/** A run's error message as shown: secrets redacted as in payload texts, JSON in it walked, `more` rules, cut. */
export function errorPreview(message: string, more: TextRule = NO_MORE_RULES): string {
  return truncate(more(redactString(message, 0)), ERROR_PREVIEW_LIMIT);
}

/** A run's error stack as shown: redacted as an error message, cut at `STACK_PREVIEW_LIMIT` characters. */
export function stackPreview(stack: string, more: TextRule = NO_MORE_RULES): string {
  return truncate(more(redactString(stack, 0)), STACK_PREVIEW_LIMIT);
}
