import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A run's start window (ms of Redis time): from its start in Redis (its claim, or the confirmation of a run claimed
 * ahead), a change of its task waits this long before it returns. Its replica calls its handler within
 * `HANDLER_START_DEADLINE_MS` of that start, or asks Redis again first (the task may have changed meanwhile): so
 * once a change has returned, no handler of the old definition starts, even for a run that waited for a slot.
 */
export const START_WINDOW_MS = 200;

/**
 * How long after its start in Redis a replica may call a run's handler without asking Redis again (ms): the start
 * window less a margin for the two clocks' rates and the call itself.
 */
export const HANDLER_START_DEADLINE_MS = 150;

/** A change's wait for the start window of its task's latest run to end (`waitMs` of Redis's clock, +1 rounding). */
export async function untilStartWindowEnds(waitMs: number | undefined): Promise<void> {
  if (waitMs !== undefined && waitMs > 0) await sleep(Math.ceil(waitMs) + 1);
}
