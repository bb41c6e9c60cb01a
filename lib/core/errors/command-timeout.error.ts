/** The library's own deadline ran out (`withDeadline`): told apart from other failures by its type, not its text. */
export class CommandTimeoutError extends Error {
  override readonly name = 'CommandTimeoutError';

  constructor(readonly timeoutMs: number) {
    // ioredis's own message, so that a timeout reads the same whichever of the two caught it.
    super('Command timed out');
  }
}
