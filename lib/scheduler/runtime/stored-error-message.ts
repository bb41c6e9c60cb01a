import { scrubText } from '../../core/errors/credential-scrubber';
import { SCHEDULER_LIMITS } from '../options/scheduler-limits';

/** Bytes of one code point in UTF-8 (a lone surrogate is encoded as U+FFFD: 3 bytes). */
function utf8Bytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4;
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends between two code points. */
function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    bytes += utf8Bytes(character.codePointAt(0) as number);
    if (bytes > maxBytes) break;
    end += character.length;
  }
  return text.slice(0, end);
}

function codePointCount(text: string): number {
  let count = text.length;
  for (let index = 0; index < text.length - 1; index++) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      count--;
      index++;
    }
  }
  return count;
}

/** `text` scrubbed of credentials, then cut to `maxBytes` of UTF-8 at a character boundary, noting its whole length. */
function storedText(text: string, maxBytes: number): string {
  const scrubbed = scrubText(text);
  if (Buffer.byteLength(scrubbed, 'utf8') <= maxBytes) return scrubbed.toWellFormed();
  const note = `… [truncated, ${codePointCount(scrubbed)} characters in all]`;
  return utf8Prefix(scrubbed, maxBytes - Buffer.byteLength(note, 'utf8')).toWellFormed() + note;
}

/**
 * A failed attempt's error message as its history entry keeps it: scrubbed of credentials as the logs are (the
 * connection's passwords, URL passwords), then cut to `maxErrorMessageBytes` of UTF-8 at a character boundary,
 * ending with how many characters the whole (scrubbed) message had. Scrubbed first, so that no cut leaves half
 * a password. Every entry of a task's history is bounded so, whatever its handlers throw.
 */
export function storedErrorMessage(message: string): string {
  return storedText(message, SCHEDULER_LIMITS.maxErrorMessageBytes);
}

/** A failed attempt's stack as its history entry keeps it: scrubbed and cut as the message, to `maxErrorStackBytes`. */
export function storedErrorStack(stack: string): string {
  return storedText(stack, SCHEDULER_LIMITS.maxErrorStackBytes);
}
