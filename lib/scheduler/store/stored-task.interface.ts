import type { ScheduledTaskDefinition, TaskStatus } from '../interfaces/scheduled-task.interface';

/** A task's definition as the store writes it: validated, defaults applied (the store adds version and times). */
export type StoredTaskDefinition = ScheduledTaskDefinition;

/** A task as stored: its definition and its state; times in ms from the epoch, by the Redis clock. */
export interface StoredTask extends StoredTaskDefinition {
  /** +1 on every change of the definition (enable and disable included). */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** The next fire time; `null` when disabled (or when the expression has no next fire). */
  nextRunAt: number | null;
  /** When the last attempt started. */
  lastRunAt: number | null;
  lastStatus: TaskStatus | null;
  /** Attempts started. */
  runCount: number;
  /** Failed fires in a row (retries exhausted); a success resets it. */
  failureCount: number;
  /** The latest fire time claimed (run, buffered, skipped or missed): no fire at or before it runs again. */
  lastFireAt: number | null;
  /** Runs of this task holding a lease now. */
  running: number;
  /** The fire time waiting under overlap `bufferOne` for the running run to end. */
  buffered: number | null;
  /** The fencing token of the latest attempt (0 before the first). */
  fence: number;
  /** When the start window of its latest run started in Redis ends (a change returns only after it). */
  startsBy: number | null;
}
