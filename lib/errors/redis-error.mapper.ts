import { ErrorCode } from './error-code';
import { StatefulError } from './stateful.error';

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);
const CONNECTION_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const CONNECTION_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Cluster isn\'t ready',
  'All sentinels are unreachable',
];

/** Tells what kind of failure an ioredis error is. */
export function classifyRedisError(error: unknown): ErrorCode {
  if (error instanceof StatefulError) return error.code;
  const { name, message, code } = error as { name?: string; message?: string; code?: string };
  const text = message ?? '';
  if (text === 'Command timed out' || text.startsWith('Timed out')) return ErrorCode.TIMEOUT;
  if ((name && CONNECTION_ERROR_NAMES.has(name)) || (code && CONNECTION_ERROR_CODES.has(code))) {
    return ErrorCode.REDIS_CONNECTION_ERROR;
  }
  if (CONNECTION_MESSAGES.some((fragment) => text.includes(fragment))) return ErrorCode.REDIS_CONNECTION_ERROR;
  if (name === 'ReplyError' && /user_script|Error running script|@user_script/.test(text)) {
    return ErrorCode.LUA_SCRIPT_ERROR;
  }
  return ErrorCode.REDIS_OPERATION_ERROR;
}

/** True for the reply Redis gives when a script is not in its cache (restart, failover, SCRIPT FLUSH). */
export function isNoScriptError(error: unknown): boolean {
  return typeof (error as Error)?.message === 'string' && (error as Error).message.startsWith('NOSCRIPT');
}

/** Wraps an ioredis failure into a `StatefulError` that names the operation and its inputs. */
export function toStatefulError(error: unknown, operation: string, inputs: string): StatefulError {
  if (error instanceof StatefulError) return error;
  const code = classifyRedisError(error);
  const reason = (error as Error)?.message ?? String(error);
  return new StatefulError(code, `${operation}(${inputs}) failed: ${reason}`, { cause: error, operation });
}
