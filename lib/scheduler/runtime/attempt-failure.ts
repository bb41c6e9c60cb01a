import { describeThrown } from '../../core/errors/describe-thrown';

/** What a failed attempt threw, as text: its message, and its stack when it had one. Not scrubbed yet. */
export interface AttemptFailure {
  message: string;
  /** The stack's frames (V8 opens a stack with `<name>: <message>`, kept apart as `message`); `null` for none. */
  stack: string | null;
}

/** The first frame line of a V8 stack. */
const FIRST_FRAME = /^\s+at /m;

/**
 * What a handler threw or rejected with, as a failed attempt records it. Never throws: a value that cannot be
 * printed is described by its type tag (see `describeThrown`), a stack that cannot be read is none.
 */
export function attemptFailure(thrown: unknown): AttemptFailure {
  return { message: describeThrown(thrown), stack: stackFrames(thrown) };
}

function stackFrames(thrown: unknown): string | null {
  try {
    if (!(thrown instanceof Error)) return null;
    const stack: unknown = thrown.stack;
    if (typeof stack !== 'string' || stack.trim() === '') return null;
    const frames = stack.search(FIRST_FRAME);
    // A stack without frames (set by hand) is kept whole.
    return frames > 0 ? stack.slice(stack.lastIndexOf('\n', frames) + 1) : stack;
  } catch {
    return null;
  }
}
