import type { ClaimDecision } from '../store/scheduler-store.interface';
import type { StoredTask } from '../store/stored-task.interface';

interface BacklogEntry {
  decision: ClaimDecision;
  task: StoredTask;
  /** `performance.now()` past which the decision may be stale: its fire would be a misfire by then. */
  validUntil: number;
}

/**
 * Fires a look decided on beyond the replica's free slots (more were due within the look-ahead window than it
 * could take). When slots free up a moment later they are claimed straight away, without another look: one round
 * trip instead of two while a second's fires outnumber the slots. The claim checks each against Redis (same next
 * fire, same version, as for any decision), so one another replica took meanwhile is only passed over; one that
 * would have become a misfire, or that is older than `maxAgeMs`, is dropped and decided again by a look.
 */
export class DecidedBacklog {
  private entries: BacklogEntry[] = [];

  constructor(private readonly maxAgeMs: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** Keeps `decisions` (their tasks in `tasks`) decided at Redis time `redisNow`, local time `localNow`. */
  keep(decisions: ClaimDecision[], tasks: ReadonlyMap<string, StoredTask>, redisNow: number, localNow: number): void {
    this.entries = [];
    for (const decision of decisions) {
      const task = tasks.get(decision.taskId);
      // Only on-time decisions (a misfire's was made for that moment) with a fire to run.
      if (!task || decision.dueAt === undefined || decision.runAt === null) continue;
      const onTimeForMs = decision.dueAt + task.misfireGraceMs - redisNow;
      this.entries.push({ decision, task, validUntil: localNow + Math.min(onTimeForMs, this.maxAgeMs) });
    }
  }

  /** Takes up to `count` decisions still valid at `localNow`, earliest first. */
  take(count: number, localNow: number): { decisions: ClaimDecision[]; tasks: Map<string, StoredTask> } {
    this.entries = this.entries.filter((entry) => entry.validUntil > localNow);
    const taken = this.entries.splice(0, count);
    return {
      decisions: taken.map((entry) => entry.decision),
      tasks: new Map(taken.map((entry) => [entry.task.id, entry.task])),
    };
  }

  clear(): void {
    this.entries = [];
  }
}
