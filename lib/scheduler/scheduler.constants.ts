/** Injection token of the validated scheduler options, defaults applied. */
export const DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS = Symbol('DISTRIBUTED_SCHEDULE_RESOLVED_OPTIONS');

/**
 * Injection token of the core of `StatefulRedisModule` as the scheduler took it, through `requireCore`, once: a
 * `StatefulRedisCore`.
 */
export const SCHEDULER_CORE = Symbol('SCHEDULER_CORE');

/** Injection token of the scheduler's metrics (`null` when metrics are off). */
export const SCHEDULER_METRICS = Symbol('SCHEDULER_METRICS');

/** The operations of the scheduler are counted and logged under this feature name. */
export const SCHEDULER_FEATURE = 'scheduler';
