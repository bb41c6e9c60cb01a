/**
 * Why a run runs: `scheduled`, a fire of its cron (on time, or late per its misfire policy); `retry`, a later attempt
 * of a fire; `buffered`, a fire that waited under overlap `bufferOne` for the previous run to end; `manual`,
 * `triggerTask`. A run that waited (`retry`, `buffered`) was due before any later change of the task and runs once
 * with the task's definition as it is when it starts.
 */
export type ScheduledRunKind = 'scheduled' | 'retry' | 'buffered' | 'manual';

/** What a scheduled handler (`@DistributedCron`, `@ScheduledWorkflow`, `registerWorkflow`) is called with. */
export interface ScheduledRunContext<P = unknown> {
  taskId: string;
  name: string;
  /** The fire time this run is for (not when it started: see the fire-lag metric). */
  scheduledAt: Date;
  /** Why it runs: a fire of its schedule, a retry, a fire that waited under `bufferOne`, or `triggerTask`. */
  kind: ScheduledRunKind;
  /** 1 for the first try of this fire, then 2, 3, ... for its retries. */
  attempt: number;
  /**
   * Strictly increasing per task across attempts and fires: pass it to writes that must not go back in time.
   * It comes from a counter in Redis that, if Redis loses its data, starts again from Redis TIME (ms × 1000), so
   * tokens stay increasing across that loss too, unless more than 1000 were taken per ms on average since the
   * counter last started or the Redis clock went back (e.g. a failover to a node whose clock is behind).
   */
  fencingToken: number;
  /** The replica running it. */
  instanceId: string;
  payload: P;
  /** Aborted when the lease is lost or the shutdown timeout ends; the handler should stop then. */
  signal: AbortSignal;
}

/** A scheduled handler; its return value is ignored, a throw or rejection is a failure. */
export type ScheduledHandler<P = unknown> = (run: ScheduledRunContext<P>) => unknown;
