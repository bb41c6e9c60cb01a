import { ErrorCode } from './error-code';

export interface StatefulErrorOptions {
  cause?: unknown;
  /** The operation that failed, e.g. `trySetLinkedPod`. */
  operation?: string;
  /** The argument or option at fault, for `INVALID_PARAMETER`. */
  field?: string;
}

/** The one error type the library throws; `code` says why. */
export class StatefulError extends Error {
  override readonly name = 'StatefulError';
  readonly operation?: string;
  readonly field?: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: StatefulErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.operation = options.operation;
    this.field = options.field;
  }
}
