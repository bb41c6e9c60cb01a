/** Bounds shared by the module options and the per-task options. */
export const SCHEDULER_LIMITS = {
  /** A lease shorter than this would be renewed more often than a Redis round trip under load allows. */
  minLeaseMs: 500,
  maxLeaseMs: 86_400_000,
  maxConcurrent: 10_000,
  minPollIntervalMs: 10,
  maxPollIntervalMs: 60_000,
  /** Claiming further ahead would hold slots (and definitions as they were) for long before the fire. */
  maxLookAheadMs: 60_000,
  maxHistoryLength: 10_000,
  maxShutdownTimeoutMs: 600_000,
  maxMisfireGraceMs: 2_147_483_647,
  maxJitterMs: 86_400_000,
  maxRetryAttempts: 100,
  maxRetryBackoffMs: 86_400_000,
  maxConsecutiveFailures: 1_000_000,
  maxNameLength: 512,
  maxNamespaceLength: 253,
  maxInstanceIdLength: 256,
  maxPayloadBytes: 64 * 1024,
  /**
   * Arrays and objects in one another: Redis's cjson refuses past 1000, and nothing scheduled needs more than a few.
   */
  maxPayloadDepth: 32,
  /**
   * A failed attempt's error message as stored in its history entry (UTF-8); longer ones are cut, their length noted.
   */
  maxErrorMessageBytes: 2 * 1024,
  /** A failed attempt's stack as stored in its history entry (UTF-8); longer ones are cut, their length noted. */
  maxErrorStackBytes: 4 * 1024,
} as const;
