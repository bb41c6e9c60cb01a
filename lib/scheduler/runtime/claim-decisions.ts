import { CronSchedule, jitterOffset } from '../cron/cron-schedule';
import type { MisfirePolicy } from '../interfaces/scheduled-task.interface';
import type { ClaimDecision } from '../store/scheduler-store.interface';
import { nextFireAfter } from './next-fire-memo';

/** What a decision needs of a due task. */
export interface DueTask {
  id: string;
  cron: string;
  timeZone: string;
  misfire: MisfirePolicy;
  misfireGraceMs: number;
  jitterMs: number;
  version: number;
}

/** A due fire, as `SchedulerStore.peek` reports it. */
export interface DueFire {
  task: DueTask;
  fireTime: number;
}

/** The due score of a fire: its time plus the task's deterministic jitter (every replica computes the same). */
export function dueScoreOf(taskId: string, fireTime: number | null, jitterMs: number): number | null {
  return fireTime === null ? null : fireTime + jitterOffset(taskId, fireTime, jitterMs);
}

/**
 * The latest fires of `schedule` in (fromMs, toMs], at most `limit`, oldest first. A long window (days of
 * per-second fires after an outage) is narrowed by halving, so it costs a few steps of `limit` fires, not a walk.
 */
export function latestFires(schedule: CronSchedule, fromMs: number, toMs: number, limit: number): number[] {
  if (limit <= 0 || toMs <= fromMs) return [];
  let from = fromMs;
  let to = toMs;
  for (;;) {
    const window = schedule.firesBetween(from, to, limit);
    if (!window.truncated) {
      // (to, toMs] holds no fire and (fromMs, from] more than `limit`: take the latest of those that are missing.
      const missing = limit - window.fires.length;
      return missing > 0 && from > fromMs
        ? [...latestFires(schedule, fromMs, from, missing), ...window.fires]
        : window.fires;
    }
    const middle = Math.floor(from + (to - from) / 2);
    if (middle <= from) return window.fires;
    // No fire in the right half: they are all in the left one; else the latest are in the right one.
    if (schedule.firesBetween(middle, to, 1).fires.length === 0) to = middle;
    else from = middle;
  }
}

/**
 * The decision for one due fire, at Redis time `now`. On time (started within `misfireGraceMs` of its due
 * score): run it, next = the first fire after it (a replica that fell behind catches up fire by fire, each
 * one claimed, skipped or run under the overlap policy). Late (a misfire): every fire up to `now` is missed
 * but, under `runOnce`, the latest, which runs; the next fire is the first after `now`. A latest fire whose
 * jittered due time is still ahead is neither run early nor missed: it is the next fire, and runs on time. `missed`
 * keeps the latest `historyLength` (older entries would be trimmed from the history at once). An on-time decision
 * carries its due score (`dueAt`), so that a fire not due yet (looked at ahead) may be claimed ahead.
 */
export function decideFire(due: DueFire, now: number, historyLength: number): ClaimDecision {
  const { task, fireTime } = due;
  const schedule = CronSchedule.parse(task.cron, task.timeZone);
  const base = { taskId: task.id, expectedFireTime: fireTime, version: task.version };
  const dueAt = dueScoreOf(task.id, fireTime, task.jitterMs) as number;
  if (now - dueAt <= task.misfireGraceMs) {
    const nextRunAt = nextFireAfter(schedule, fireTime);
    return {
      ...base,
      runAt: fireTime,
      missed: [],
      nextRunAt,
      nextDueScore: dueScoreOf(task.id, nextRunAt, task.jitterMs),
      dueAt,
    };
  }
  const later = latestFires(schedule, fireTime, now, historyLength + 1);
  const fires = later.length > historyLength ? later : [fireTime, ...later];
  const upcoming =
    fires.length > 1 && (dueScoreOf(task.id, fires[fires.length - 1], task.jitterMs) as number) > now
      ? (fires.pop() as number)
      : null;
  const latest = fires[fires.length - 1];
  const latestOnTime = now - (dueScoreOf(task.id, latest, task.jitterMs) as number) <= task.misfireGraceMs;
  const runAt = task.misfire === 'runOnce' || latestOnTime ? latest : null;
  const missed = (runAt === null ? fires : fires.slice(0, -1)).slice(-historyLength);
  const nextRunAt = upcoming ?? schedule.nextAfter(now);
  return { ...base, runAt, missed, nextRunAt, nextDueScore: dueScoreOf(task.id, nextRunAt, task.jitterMs) };
}
