import type { Cron } from 'croner';
import { invalidParameter } from '../../core/errors/invalid-parameter';
import { compileCronExpression } from './cron-expression';
import { RecentlyUsedCache } from './recently-used-cache';
import { assertTimeZone } from './time-zone';

export { jitterOffset } from './jitter-offset';

/** The latest time a `Date` holds (ms from the epoch); croner answers null past its year 3000 anyway. */
const MAX_DATE_MS = 8.64e15;

/** Names of the parameters in INVALID_PARAMETER errors, by default. */
const DEFAULT_FIELDS = Object.freeze({ cron: 'cron', timeZone: 'timeZone' });

/**
 * A parsed cron expression in an IANA time zone: the fire times of a task. Pure and deterministic: the same
 * (cron, timeZone, instant) gives the same answer in every process, whatever its local time zone and clock
 * (nothing here reads the clock), so replicas computing a task's next fire from its claimed fire time agree.
 *
 * Expressions: exactly 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; each
 * field as croner 11 reads it (`*`, `?`, lists, ranges, `*\/n` and `a-b/n` steps, JAN-DEC and SUN-SAT names,
 * `L`, `W`, `#`, `+` for AND of day-of-month and day-of-week, else OR as Vixie cron). Refused: other field
 * counts (croner's year field), nicknames (`@daily`: write `0 0 * * *`), expressions that never fire.
 *
 * DST, as Vixie cron (see CRONER_OPTIONS): a fixed-time expression (no `*`, `?` or step in its second, minute
 * and hour fields, e.g. `30 2 * * *`) fires once per matching day: a local time skipped by the spring-forward
 * gap fires at the first instant after the gap (`30 2 * * *` at 03:00 local on that day), a local time that
 * occurs twice fires at its first occurrence only. Any other expression (e.g. `* * * * *`, `0 * * * *`) fires at
 * every real instant whose local time matches: the skipped local hour never fires, the repeated local hour fires
 * on both passes, so an every-minute task fires at every real minute exactly once, 60 s apart in UTC.
 */
export class CronSchedule {
  /** How many parsed schedules the cache keeps, keyed by (cron, timeZone). */
  static readonly CACHE_SIZE = 1024;

  private static readonly cache = new RecentlyUsedCache<string, CronSchedule>(CronSchedule.CACHE_SIZE);

  private constructor(
    /** The expression, as given. */
    readonly cron: string,
    /** The IANA time zone, as given. */
    readonly timeZone: string,
    private readonly job: Cron,
  ) {}

  /** Throws StatefulError INVALID_PARAMETER naming `field` (e.g. 'cron', 'timeZone') on a bad expression/zone. */
  static parse(
    cron: string,
    timeZone: string,
    field: { cron: string; timeZone: string } = DEFAULT_FIELDS,
    operation = 'CronSchedule.parse',
  ): CronSchedule {
    // Only valid pairs are cached, and a valid zone has no newline: the key cannot be ambiguous.
    const key = typeof cron === 'string' && typeof timeZone === 'string' ? `${timeZone}\n${cron}` : undefined;
    const cached = key === undefined ? undefined : CronSchedule.cache.get(key);
    if (cached) return cached;
    if (typeof cron !== 'string') {
      throw invalidParameter(operation, field.cron, 'must be a cron expression string', cron);
    }
    assertTimeZone(operation, field.timeZone, timeZone);
    const schedule = new CronSchedule(cron, timeZone, compileCronExpression(operation, field.cron, cron, timeZone));
    CronSchedule.cache.set(key as string, schedule);
    return schedule;
  }

  /** First fire time strictly after `afterMs` (ms epoch), or null if none. */
  nextAfter(afterMs: number): number | null {
    assertInstant('nextAfter', 'afterMs', afterMs);
    if (afterMs >= MAX_DATE_MS) return null;
    // croner works in whole seconds and starts from the second after the reference's (ms dropped),
    // and every fire time is a whole second: what it returns is strictly after `afterMs`.
    const next = this.job.nextRun(new Date(afterMs));
    return next === null ? null : next.getTime();
  }

  /** Fire times in (fromMs, toMs], oldest first, at most `limit`; `truncated` when more exist. */
  firesBetween(fromMs: number, toMs: number, limit: number): { fires: number[]; truncated: boolean } {
    assertInstant('firesBetween', 'fromMs', fromMs);
    assertInstant('firesBetween', 'toMs', toMs);
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw invalidParameter('firesBetween', 'limit', 'must be an integer >= 0', limit);
    }
    const fires: number[] = [];
    // One step per fire returned, plus one to tell whether more exist: never a walk over the whole range.
    for (let fire = this.nextAfter(fromMs); fire !== null && fire <= toMs; fire = this.nextAfter(fire)) {
      if (fires.length === limit) return { fires, truncated: true };
      fires.push(fire);
    }
    return { fires, truncated: false };
  }
}

function assertInstant(operation: string, field: string, value: number): void {
  // Times before 1970 are of no use to a scheduler, and croner fails on some near the start of the calendar.
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_DATE_MS)) {
    throw invalidParameter(operation, field, `must be a time in ms from the epoch, from 0 to ${MAX_DATE_MS}`, value);
  }
}
