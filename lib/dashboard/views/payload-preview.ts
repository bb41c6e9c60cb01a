import { scrubText } from '../../core/errors/credential-scrubber';
import { truncate } from './view-format';

/** Longest payload text shown; the rest is summarised. */
const PAYLOAD_PREVIEW_LIMIT = 2_048;

/** Longest error message shown in a run's row. */
const ERROR_PREVIEW_LIMIT = 300;

/** Properties whose value is never shown, whatever it holds. */
const SECRET_NAME = /pass(word|wd|phrase)?$|secret|token|api[-_]?key|credential|authorization|private[-_]?key/i;

const REDACTED = '[redacted]';

/** Depth past which a payload is not walked (a payload is at most 64 KiB of JSON). */
const MAX_DEPTH = 20;

function redact(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, SECRET_NAME.test(name) ? REDACTED : redact(item, depth + 1)]),
  );
}

/**
 * A task's payload as shown: JSON with the values of secret-looking properties (`password`, `apiKey`,
 * `token`, ...) and the passwords of URLs (`redis://user:pw@host`) redacted, cut at `PAYLOAD_PREVIEW_LIMIT`.
 */
export function payloadPreview(payload: unknown): string {
  return truncate(scrubText(JSON.stringify(redact(payload, 0)) ?? 'null'), PAYLOAD_PREVIEW_LIMIT);
}

/** A run's error message as shown: credentials scrubbed, cut at `ERROR_PREVIEW_LIMIT`. */
export function errorPreview(message: string): string {
  return truncate(scrubText(message), ERROR_PREVIEW_LIMIT);
}
