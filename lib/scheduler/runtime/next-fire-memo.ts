import type { CronSchedule } from '../cron/cron-schedule';

/** Fire times remembered per schedule: a few, as the tasks of one schedule are mostly due at the same fire. */
const REMEMBERED_PER_SCHEDULE = 4;

const remembered = new WeakMap<CronSchedule, Map<number, number | null>>();

/**
 * `schedule.nextAfter(afterMs)`, remembered: the tasks that share a schedule (parsed schedules are cached by
 * cron and time zone) fire together, so a thousand tasks due at the same second cost one cron computation,
 * not a thousand. The answer is a pure function of (schedule, afterMs), so remembering it changes nothing else.
 */
export function nextFireAfter(schedule: CronSchedule, afterMs: number): number | null {
  let known = remembered.get(schedule);
  if (known === undefined) {
    known = new Map();
    remembered.set(schedule, known);
  }
  const hit = known.get(afterMs);
  if (hit !== undefined) return hit;
  const next = schedule.nextAfter(afterMs);
  if (known.size >= REMEMBERED_PER_SCHEDULE) known.delete(known.keys().next().value as number);
  known.set(afterMs, next);
  return next;
}
