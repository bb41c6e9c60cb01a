/** Machine-readable reason carried by every `StatefulError`. */
export const ErrorCode = {
  /** An argument or module option is invalid; nothing was written. */
  INVALID_PARAMETER: 'INVALID_PARAMETER',
  /** Redis could not be reached (refused, closed, retries exhausted). */
  REDIS_CONNECTION_ERROR: 'REDIS_CONNECTION_ERROR',
  /** Redis answered with an error (ACL, wrong type, read-only replica, ...). */
  REDIS_OPERATION_ERROR: 'REDIS_OPERATION_ERROR',
  /** A Lua script of this library failed while running. */
  LUA_SCRIPT_ERROR: 'LUA_SCRIPT_ERROR',
  /** Redis did not answer within the command timeout. */
  TIMEOUT: 'TIMEOUT',
  /**
   * A cluster slot of the call's keys was moving to another node (resharding) and the call could not run
   * there yet. Nothing was written: the scripts read every key before their first write. Retry after a
   * short pause; the migration of a slot takes from milliseconds to seconds.
   */
  CLUSTER_RESHARDING: 'CLUSTER_RESHARDING',
  /** The id names nothing (a scheduled task that does not exist). */
  NOT_FOUND: 'NOT_FOUND',
  /** The id is taken (a scheduled task added with an id that exists). */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** The service was used before the module finished its init, or after shutdown. */
  NOT_INITIALIZED: 'NOT_INITIALIZED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
