/** Returned wherever "no pod" is the answer. */
export const NO_POD = -1;

/** Injection token of the validated options, defaults applied. */
export const STATEFUL_REDIS_RESOLVED_OPTIONS = Symbol('STATEFUL_REDIS_RESOLVED_OPTIONS');
