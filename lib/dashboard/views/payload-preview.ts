import { scrubText } from '../../core/errors/credential-scrubber';
import { isSecretName, redactText } from './secret-redaction';
import { truncate } from './view-format';

/** Longest payload text shown; the rest is summarised. */
const PAYLOAD_PREVIEW_LIMIT = 2_048;

/** Longest error message shown in a run's row. */
const ERROR_PREVIEW_LIMIT = 300;

/** Depth past which a payload is not walked (a payload is at most 64 KiB of JSON). */
const MAX_DEPTH = 20;

/** A text that may be JSON: parsed and walked like the payload, so that its secrets are found by name too. */
const JSON_LOOKING = /^\s*[[{]/;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** What a hidden value was, without the value: `[redacted: string, 23 chars]`, `[redacted: object, 2 keys]`. */
function hidden(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return `[redacted: string, ${plural(value.length, 'char')}]`;
  if (Array.isArray(value)) return `[redacted: array, ${plural(value.length, 'item')}]`;
  if (typeof value === 'object') return `[redacted: object, ${plural(Object.keys(value).length, 'key')}]`;
  return `[redacted: ${typeof value}]`;
}

function redactString(text: string, depth: number): string {
  if (JSON_LOOKING.test(text)) {
    try {
      return JSON.stringify(redact(JSON.parse(text), depth + 1));
    } catch {
      // Not JSON after all: redacted as text.
    }
  }
  return redactText(text);
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
 * size; in the other values, secrets seen in passing (URL credentials, `Bearer …`, `token=…` query and
 * connection-string parameters) are redacted, and JSON held in a string is walked like the payload.
 * Cut at `PAYLOAD_PREVIEW_LIMIT` characters.
 */
export function payloadPreview(payload: unknown): string {
  return truncate(scrubText(JSON.stringify(redact(payload, 0)) ?? 'null'), PAYLOAD_PREVIEW_LIMIT);
}

/** A run's error message as shown: secrets redacted as in payload texts, cut at `ERROR_PREVIEW_LIMIT`. */
export function errorPreview(message: string): string {
  return truncate(redactText(message), ERROR_PREVIEW_LIMIT);
}
