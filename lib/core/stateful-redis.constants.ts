/** Injection token of the validated options, defaults applied. */
export const STATEFUL_REDIS_RESOLVED_OPTIONS = Symbol('STATEFUL_REDIS_RESOLVED_OPTIONS');

/** Details a feature adds to the health indicator's `up` result (e.g. the near-cache's tracking state). */
export type HealthDetails = () => Record<string, unknown>;

/** Optional injection token of a feature's `HealthDetails`. */
export const STATEFUL_REDIS_HEALTH_DETAILS = Symbol('STATEFUL_REDIS_HEALTH_DETAILS');
