/** `DistributedSchedulerService.getStats()`: this replica, right now (the seed's fields). */
export interface SchedulerStats {
  instanceId: string;
  /** Whether this replica's loop runs (started and not stopped). */
  running: boolean;
  maxConcurrent: number;
  /** Runs this replica executes now. */
  runningTasks: number;
  /** `maxConcurrent - runningTasks`. */
  availableSlots: number;
  /** Workflows this replica runs, sorted. */
  registeredWorkflows: string[];
}
