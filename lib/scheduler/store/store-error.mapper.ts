import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';

/** The error replies the scheduler's scripts give on purpose: `NOT_FOUND <id>`, `ALREADY_EXISTS <id>`. */
const SCRIPT_REFUSAL = /^(NOT_FOUND|ALREADY_EXISTS) ([\s\S]*)$/;

/**
 * Turns a script's refusal into the `StatefulError` it stands for, naming the public `operation` (e.g. `addTask`);
 * any other error is returned as it is.
 */
export function toStoreError(error: unknown, operation: string, namespace: string): unknown {
  const refusal = SCRIPT_REFUSAL.exec((error as Error | undefined)?.message ?? '');
  if (refusal === null) return error;
  const [, reason, taskId] = refusal;
  const task = `task with id ${JSON.stringify(taskId)}`;
  return reason === 'NOT_FOUND'
    ? new StatefulError(ErrorCode.NOT_FOUND, `${operation}: no scheduled ${task} in namespace "${namespace}"`, {
        operation,
      })
    : new StatefulError(
        ErrorCode.ALREADY_EXISTS,
        `${operation}: a scheduled ${task} already exists in namespace "${namespace}"`,
        { operation },
      );
}
