/** Injection token of the validated options, defaults applied. */
export const STATEFUL_REDIS_RESOLVED_OPTIONS = Symbol('STATEFUL_REDIS_RESOLVED_OPTIONS');
