import { CommandTimeoutError } from './command-timeout.error';
import { ErrorCode } from './error-code';
import { StatefulError } from './stateful.error';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);
const CONNECTION_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const CONNECTION_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  "Cluster isn't ready",
  'All sentinels are unreachable',
];
/** Credentials refused on a reconnect (a password rotated on the server): Redis cannot be used until they match. */
const REFUSED_CREDENTIALS = /^(?:WRONGPASS|NOAUTH) /;

/** What Redis answers when the ACL user may not run a command called inside a script (it does not say which). */
const SCRIPT_ACL_DENIAL = "can't run this command or subcommand";
/** Every command the library's Lua scripts call, for the ACL hint (kept in step with lua/ by a test). */
export const SCRIPT_COMMANDS = [
  // routing
  ...['GET', 'SET', 'DEL', 'EXISTS', 'HSET', 'HDEL', 'HKEYS', 'HGETALL', 'HEXISTS', 'HINCRBY'],
  ...['PTTL', 'EXPIRE', 'PEXPIRE', 'PERSIST'],
  // scheduler (also: the channel `<keyPrefix>:{<ns>:sched}:changed` for PUBLISH / SPUBLISH)
  ...['HGET', 'HVALS', 'INCR', 'PUBLISH', 'SPUBLISH', 'TIME'],
  ...['SADD', 'ZADD', 'ZCOUNT', 'ZRANGE', 'ZRANGEBYSCORE', 'ZREM', 'ZSCORE', 'ZREMRANGEBYLEX', 'ZREVRANGEBYLEX'],
  'ZREMRANGEBYSCORE',
] as const;

/**
 * What Redis answers while a slot of the call's keys moves between cluster nodes: a script that reached a
 * key already moved (or not yet moved, on the importing node) is aborted with the first; the others come
 * back from ioredis once it gave up following them ("Too many Cluster redirections. Last error: ...").
 * The scripts read every key before their first write, so none of these left anything written.
 */
const RESHARDING_REPLIES =
  /^(?:ERR Script attempted to access a non local key in a cluster node|TRYAGAIN |ASK |MOVED )/;

/** Tells what kind of failure an ioredis error is. */
export function classifyRedisError(error: unknown): ErrorCode {
  if (error instanceof StatefulError) return error.code;
  if (error instanceof CommandTimeoutError) return ErrorCode.TIMEOUT;
  const { name, message, code } = error as { name?: string; message?: string; code?: string };
  const text = message ?? '';
  // A cluster client gives up after retrying a failing node; the kind of failure is that of its last error.
  const redirected = /^Too many Cluster redirections\. Last error: (?:(\w*Error): )?([\s\S]*)$/.exec(text);
  if (redirected) return classifyRedisError({ name: redirected[1], message: redirected[2] });
  // ioredis's own timeouts (`commandTimeout`, connect) are plain errors: only their text tells.
  if (text === 'Command timed out' || text.startsWith('Timed out')) return ErrorCode.TIMEOUT;
  if (RESHARDING_REPLIES.test(text)) return ErrorCode.CLUSTER_RESHARDING;
  if ((name && CONNECTION_ERROR_NAMES.has(name)) || (code && CONNECTION_ERROR_CODES.has(code))) {
    return ErrorCode.REDIS_CONNECTION_ERROR;
  }
  if (CONNECTION_MESSAGES.some((fragment) => text.includes(fragment)) || REFUSED_CREDENTIALS.test(text)) {
    return ErrorCode.REDIS_CONNECTION_ERROR;
  }
  // A permission refused inside a script is the ACL's doing, not a fault of the script.
  if (text.includes(SCRIPT_ACL_DENIAL)) return ErrorCode.REDIS_OPERATION_ERROR;
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
  let reason = (error as Error)?.message ?? String(error);
  if (reason.includes(SCRIPT_ACL_DENIAL)) {
    const needed = SCRIPT_COMMANDS.join(' ');
    reason += ` (the Redis ACL user lacks a command of the library's Lua scripts; they need ${needed})`;
  }
  return new StatefulError(code, `${operation}(${inputs}) failed: ${reason}`, { cause: error, operation });
}
