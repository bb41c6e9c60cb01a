/** Said of a thrown value that not even its type tag can be read of (a revoked proxy). */
const UNPRINTABLE = 'a thrown value that cannot be printed';

/**
 * What was thrown (or rejected with), as text: an Error's message, a string as it is, anything else as `String()`
 * prints it. Never throws: a value `String()` cannot print (a null-prototype object, a `toString` or `message`
 * getter that throws) is described by its type tag, e.g. `[object Object]`.
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const message: unknown = thrown.message;
      return typeof message === 'string' ? message : String(message);
    }
    return String(thrown);
  } catch {
    try {
      return Object.prototype.toString.call(thrown);
    } catch {
      return UNPRINTABLE;
    }
  }
}
