import type { ResolvedDistributedScheduleOptions } from '../interfaces/distributed-schedule-module-options.interface';

/**
 * How recent a replica's heartbeat (each look records one) must be for the replica to count as live: a few polls,
 * and never less than a lease. Older heartbeats are deleted by the live replicas' looks.
 */
export function liveReplicaMaxAgeMs(
  options: Pick<ResolvedDistributedScheduleOptions, 'leaseMs' | 'pollIntervalMs'>,
): number {
  return Math.max(options.leaseMs, 5 * options.pollIntervalMs);
}
