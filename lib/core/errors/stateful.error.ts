import { scrubbedCopy, scrubText } from './credential-scrubber';
import { ErrorCode } from './error-code';

export interface StatefulErrorOptions {
  cause?: unknown;
  /** The operation that failed, e.g. `trySetLinkedPod`. */
  operation?: string;
  /** The argument or option at fault, for `INVALID_PARAMETER`. */
  field?: string;
}

/**
 * The one error type the library throws; `code` says why. Its message and cause chain never hold
 * a credential: the cause is a copy with passwords taken out (ioredis errors carry the failed
 * command, e.g. `HELLO 3 AUTH user password`), or the original when it holds none.
 */
export class StatefulError extends Error {
  override readonly name = 'StatefulError';
  readonly operation?: string;
  readonly field?: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: StatefulErrorOptions = {},
  ) {
    super(scrubText(message), { cause: scrubbedCopy(options.cause) });
    this.operation = options.operation;
    this.field = options.field;
  }
}
