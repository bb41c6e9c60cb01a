import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A change's wait for the run of its task that Redis confirmed to start a moment from now (at most the start
 * confirmation lead): the change returns once that run has started in Redis, so that it is a run in progress,
 * not a start of the old definition after the change. `waitMs` is of Redis's clock; +1 for rounding.
 */
export async function untilConfirmedStart(waitMs: number | undefined): Promise<void> {
  if (waitMs !== undefined && waitMs > 0) await sleep(Math.ceil(waitMs) + 1);
}
