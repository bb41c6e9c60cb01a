import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../lib/core/errors/error-code';
import { StatefulError } from '../../../lib/core/errors/stateful.error';
import { CronSchedule } from '../../../lib/scheduler/cron/cron-schedule';
import { at } from './local-time';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

function refusal(action: () => unknown): StatefulError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof StatefulError, `expected a StatefulError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.INVALID_PARAMETER);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('CronSchedule.parse', () => {
  const accepted: Array<[cron: string, timeZone: string, afterIso: string, nextIso: string]> = [
    ['0 9 * * 1-5', 'UTC', '2026-01-02T09:00:00Z', '2026-01-05T09:00:00.000Z'], // Friday -> Monday
    ['*/15 * * * * *', 'UTC', '2026-01-01T00:00:07Z', '2026-01-01T00:00:15.000Z'],
    ['30 0 9 * * MON-FRI', 'UTC', '2026-01-03T00:00:00Z', '2026-01-05T09:00:30.000Z'],
    ['  0   9\t* * *  ', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00.000Z'],
    ['0 0 L * *', 'UTC', '2026-02-01T00:00:00Z', '2026-02-28T00:00:00.000Z'],
    ['0 0 15W * *', 'UTC', '2026-08-01T00:00:00Z', '2026-08-14T00:00:00.000Z'], // the 15th is a Saturday
    ['0 0 * * FRI#2', 'UTC', '2026-01-01T00:00:00Z', '2026-01-09T00:00:00.000Z'],
    ['0 0 * * 5L', 'UTC', '2026-01-01T00:00:00Z', '2026-01-30T00:00:00.000Z'],
    ['0 12 1 * +MON', 'UTC', '2026-01-01T00:00:00Z', '2026-06-01T12:00:00.000Z'], // the 1st AND a Monday
    ['0 0 13 * 5', 'UTC', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'], // the 13th OR a Friday (Vixie)
    ['0 0 30 2 MON', 'UTC', '2026-01-01T00:00:00Z', '2026-02-02T00:00:00.000Z'], // Feb 30 never, Mondays of Feb
    ['0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['? * * jan ?', 'UTC', '2026-02-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 * * 7', 'UTC', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'], // 7 is Sunday
    ['0 9 * * *', 'Etc/GMT+5', '2026-07-01T00:00:00Z', '2026-07-01T14:00:00.000Z'],
    ['0 9 * * *', 'US/Eastern', '2026-07-01T00:00:00Z', '2026-07-01T13:00:00.000Z'],
    ['0 9 * * *', 'Asia/Kathmandu', '2026-07-01T00:00:00Z', '2026-07-01T03:15:00.000Z'],
  ];

  for (const [cron, timeZone, afterIso, nextIso] of accepted) {
    it(`accepts ${JSON.stringify(cron)} in ${timeZone}: next after ${afterIso} is ${nextIso}`, () => {
      const next = CronSchedule.parse(cron, timeZone).nextAfter(at(afterIso));
      assert.equal(next === null ? null : new Date(next).toISOString(), nextIso);
    });
  }

  // [expression, what the message must say]
  const refusedExpressions: Array<[cron: unknown, says: RegExp]> = [
    ['', /must have 5 fields .*it has 0/],
    ['   ', /must have 5 fields .*it has 0/],
    [
      '* * * *',
      /"cron": must have 5 fields \(minute hour day-of-month month day-of-week\), or 6 with seconds first; it has 4 \(got "\* \* \* \*"\)$/,
    ],
    ['0 0 0 * * * 2026', /it has 7 \(a year field is not accepted\)/],
    ['* * * * * * * *', /it has 8/],
    ['@daily', /nicknames are not accepted: write the 5 fields "0 0 \* \* \*" instead of "@daily"/],
    ['@hourly', /write the 5 fields "0 \* \* \* \*"/],
    ['@reboot', /"@reboot" is not a schedule/],
    ['60 * * * *', /minute field "60" is invalid \(it takes 0-59\)/],
    ['1-60 * * * *', /minute field "1-60" is invalid/],
    ['*/0 * * * *', /minute field "\*\/0" is invalid.*stepping: 0/],
    ['5/5 * * * *', /minute field "5\/5" is invalid.*numeric prefix/],
    ['1,,2 * * * *', /minute field "1,,2" is invalid/],
    ['* 24 * * *', /hour field "24" is invalid \(it takes 0-23\)/],
    ['* 5-1 * * *', /hour field "5-1" is invalid.*larger than/],
    ['* * 0 * *', /day-of-month field "0" is invalid/],
    ['* * 32 * *', /day-of-month field "32" is invalid/],
    ['* * L-2 * *', /day-of-month field "L-2" is invalid/],
    ['* * * 13 *', /month field "13" is invalid \(it takes 1-12 or JAN-DEC\)/],
    ['* * * JANFEB *', /month field "JANFEB" is invalid/],
    ['* * * * 8', /day-of-week field "8" is invalid/],
    ['* * * * MON#6', /day-of-week field "MON#6" is invalid/],
    ['* * * * FUN', /day-of-week field "FUN" is invalid/],
    ['60 * * * * *', /second field "60" is invalid \(it takes 0-59\)/],
    ['0 60 * * * *', /minute field "60" is invalid/],
    ['1:30 * * * *', /minute field "1:30" holds a character no cron field takes/],
    ['2026-01-01T00:00:00', /it has 1/],
    ['0 9 * *\n1 *', /month field "\*\\n1" holds a character/],
    ['* * * * *\n* * * * *', /it has 9/],
    ['0 0 30 2 *', /never fires: its day-of-month, month and day-of-week fields match no date/],
    ['0 0 31 4,6,9,11 *', /never fires/],
    ['0 0 * * * '.repeat(30), /must be at most 256 characters/],
    [42, /must be a cron expression string \(got 42\)/],
    [null, /must be a cron expression string \(got null\)/],
    [undefined, /must be a cron expression string/],
  ];

  for (const [cron, says] of refusedExpressions) {
    it(`refuses cron ${JSON.stringify(cron)}: INVALID_PARAMETER, field "cron", ${says.source}`, () => {
      const error = refusal(() => CronSchedule.parse(cron as string, 'UTC'));
      assert.equal(error.field, 'cron');
      assert.match(error.message, /^CronSchedule\.parse: invalid parameter "cron": /);
      assert.match(error.message, says);
    });
  }

  const refusedZones: Array<[timeZone: unknown, says: RegExp]> = [
    ['Mars/Olympus_Mons', /is not an IANA time zone known to this runtime/],
    ['America/New_Yrok', /is not an IANA time zone known/],
    ['', /must be an IANA time zone/],
    ['+02:00', /must be an IANA time zone name such as/],
    ['UTC+1', /is not an IANA time zone known/],
    ['Europe/Berlin ', /must be an IANA time zone name such as/],
    ['Europe/../Berlin', /must be an IANA time zone name such as/],
    ['x'.repeat(65), /must be an IANA time zone name such as/],
    [7, /must be an IANA time zone/],
    [undefined, /must be an IANA time zone/],
  ];

  for (const [timeZone, says] of refusedZones) {
    it(`refuses time zone ${JSON.stringify(timeZone)}: INVALID_PARAMETER, field "timeZone"`, () => {
      const error = refusal(() => CronSchedule.parse('0 9 * * *', timeZone as string));
      assert.equal(error.field, 'timeZone');
      assert.match(error.message, /invalid parameter "timeZone": /);
      assert.match(error.message, says);
    });
  }

  it('names the fields and the operation the caller gives', () => {
    const fields = { cron: 'patch.cron', timeZone: 'patch.timeZone' };
    const badCron = refusal(() => CronSchedule.parse('61 * * * *', 'UTC', fields, 'updateTask'));
    assert.equal(badCron.field, 'patch.cron');
    assert.equal(badCron.operation, 'updateTask');
    assert.match(badCron.message, /^updateTask: invalid parameter "patch\.cron": minute field "61"/);
    const badZone = refusal(() => CronSchedule.parse('0 9 * * *', 'Nowhere/Land', fields, 'updateTask'));
    assert.equal(badZone.field, 'patch.timeZone');
  });

  it('caches parsed schedules by (cron, timeZone), keeps at most CACHE_SIZE, forgets the least recently used first', () => {
    const first = CronSchedule.parse('7 7 * * *', 'Europe/Paris');
    assert.equal(CronSchedule.parse('7 7 * * *', 'Europe/Paris'), first);
    assert.notEqual(CronSchedule.parse('7 7 * * *', 'Europe/Rome'), first);
    assert.equal(first.cron, '7 7 * * *');
    assert.equal(first.timeZone, 'Europe/Paris');
    const kept = CronSchedule.parse('8 8 * * *', 'Europe/Paris');
    // Fill the cache with other schedules, using `kept` now and then so that it stays recent.
    for (let index = 0; index < CronSchedule.CACHE_SIZE; index++) {
      CronSchedule.parse(`${index % 60} ${Math.floor(index / 60)} * * *`, 'Asia/Tokyo');
      if (index % 100 === 0) assert.equal(CronSchedule.parse('8 8 * * *', 'Europe/Paris'), kept);
    }
    assert.equal(CronSchedule.parse('8 8 * * *', 'Europe/Paris'), kept);
    const again = CronSchedule.parse('7 7 * * *', 'Europe/Paris');
    assert.notEqual(again, first, 'the least recently used schedule was evicted');
    assert.equal(again.nextAfter(0), first.nextAfter(0));
  });
});

describe('CronSchedule.nextAfter', () => {
  const daily = CronSchedule.parse('0 10 * * *', 'UTC');

  it('is strictly after: a fire time itself gives the next one, a millisecond before it gives it', () => {
    const fire = at('2026-01-01T10:00:00Z');
    assert.equal(daily.nextAfter(fire), fire + DAY);
    assert.equal(daily.nextAfter(fire - 1), fire);
    assert.equal(daily.nextAfter(fire - 0.5), fire);
    assert.equal(daily.nextAfter(fire + 0.5), fire + DAY);
    assert.equal(daily.nextAfter(fire - SECOND), fire);
    assert.equal(daily.nextAfter(fire - DAY + 1), fire);
  });

  it('works to the second with 6 fields, and every fire is strictly after the reference', () => {
    const everySecond = CronSchedule.parse('* * * * * *', 'UTC');
    const start = at('2026-05-05T05:05:05Z');
    for (let after = start - 1_500; after < start + 1_500; after += 123) {
      const next = everySecond.nextAfter(after) as number;
      assert.ok(next > after && next - after <= SECOND, `after ${after}: ${next}`);
      assert.equal(next % SECOND, 0);
    }
  });

  it('gives null when there is no fire left in the calendar it supports', () => {
    assert.equal(daily.nextAfter(8.64e15), null);
    assert.equal(daily.nextAfter(at('2999-12-31T12:00:00Z')), null);
  });

  it('refuses a time that is not a finite number of ms from 0 to 8.64e15', () => {
    for (const bad of [NaN, Infinity, -1, 8.64e15 + 1, '5']) {
      const error = refusal(() => daily.nextAfter(bad as number));
      assert.equal(error.field, 'afterMs');
    }
  });
});

describe('CronSchedule.firesBetween', () => {
  const everyMinute = CronSchedule.parse('* * * * *', 'UTC');
  const from = at('2026-01-01T00:00:00Z');

  it('gives the fires in (from, to], oldest first: a fire at `from` is left out, one at `to` is in', () => {
    assert.deepEqual(everyMinute.firesBetween(from, from + 3 * MINUTE, 10), {
      fires: [from + MINUTE, from + 2 * MINUTE, from + 3 * MINUTE],
      truncated: false,
    });
    assert.deepEqual(everyMinute.firesBetween(from + 1, from + 3 * MINUTE - 1, 10), {
      fires: [from + MINUTE, from + 2 * MINUTE],
      truncated: false,
    });
  });

  it('gives at most `limit` fires, the oldest, with `truncated` when more are in the range', () => {
    assert.deepEqual(everyMinute.firesBetween(from, from + 3 * MINUTE, 2), {
      fires: [from + MINUTE, from + 2 * MINUTE],
      truncated: true,
    });
    assert.deepEqual(everyMinute.firesBetween(from, from + 3 * MINUTE, 3), {
      fires: [from + MINUTE, from + 2 * MINUTE, from + 3 * MINUTE],
      truncated: false,
    });
    assert.deepEqual(everyMinute.firesBetween(from, from + 3 * MINUTE, 0), { fires: [], truncated: true });
    assert.deepEqual(everyMinute.firesBetween(from, from + 59 * SECOND, 0), { fires: [], truncated: false });
  });

  it('gives nothing for an empty or reversed range', () => {
    assert.deepEqual(everyMinute.firesBetween(from, from, 10), { fires: [], truncated: false });
    assert.deepEqual(everyMinute.firesBetween(from + MINUTE, from, 10), { fires: [], truncated: false });
  });

  it('does not walk a long range: * * * * * * over 30 days with limit 20 takes the first 20 seconds, fast', () => {
    const everySecond = CronSchedule.parse('* * * * * *', 'UTC');
    const started = performance.now();
    const { fires, truncated } = everySecond.firesBetween(from, from + 30 * DAY, 20);
    const elapsed = performance.now() - started;
    assert.deepEqual(
      fires,
      Array.from({ length: 20 }, (_, index) => from + (index + 1) * SECOND),
    );
    assert.equal(truncated, true);
    assert.ok(elapsed < 500, `took ${elapsed} ms`);
  });

  it('finds sparse fires over long ranges: 0 0 29 2 * over a century', () => {
    const leapDays = CronSchedule.parse('0 0 29 2 *', 'UTC').firesBetween(
      at('2001-01-01T00:00:00Z'),
      at('2101-01-01T00:00:00Z'),
      100,
    );
    assert.equal(leapDays.fires.length, 24); // 2004 ... 2096 (2100 is not a leap year)
    assert.equal(new Date(leapDays.fires[0]).toISOString(), '2004-02-29T00:00:00.000Z');
    assert.equal(new Date(leapDays.fires[23]).toISOString(), '2096-02-29T00:00:00.000Z');
    assert.equal(leapDays.truncated, false);
  });

  it('refuses bad bounds and limits, naming them', () => {
    assert.equal(refusal(() => everyMinute.firesBetween(NaN, from, 1)).field, 'fromMs');
    assert.equal(refusal(() => everyMinute.firesBetween(from, Infinity, 1)).field, 'toMs');
    for (const limit of [-1, 1.5, NaN, '3']) {
      assert.equal(refusal(() => everyMinute.firesBetween(from, from + DAY, limit as number)).field, 'limit');
    }
  });
});

describe('CronSchedule.parse: messages', () => {
  it('a wrong field count says "got" once', () => {
    let message = '';
    try {
      CronSchedule.parse('* * * *', 'UTC');
    } catch (error) {
      message = (error as Error).message;
    }
    assert.equal(message.match(/got/g)?.length, 1, message);
  });
});
