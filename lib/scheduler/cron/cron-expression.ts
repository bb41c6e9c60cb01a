import { Cron, type CronOptions } from 'croner';
import { invalidParameter } from '../../core/errors/invalid-parameter';

/**
 * How croner reads every expression:
 * - exactly 5 fields, or 6 with seconds first (`5-or-6-parts`): croner's optional year field is refused;
 * - day-of-month and day-of-week combined with OR, as Vixie cron does (`+` before day-of-week asks for AND);
 * - DST (`fixedTimeRule: 'no-wildcard'`, as Vixie cron): an expression whose second, minute and hour fields
 *   hold no `*`, `?` or step (`30 2 * * *`, `0 9,17 * * *`) is a fixed-time job: a local time that does not
 *   exist (spring forward) fires once at the first instant after the gap, on the same day; a local time that
 *   occurs twice (fall back) fires once, at its first occurrence. Any other expression is an interval job:
 *   it fires at every real instant whose local time matches, so times in the gap are skipped and the
 *   repeated local hour fires on both of its occurrences (`* * * * *` fires every real minute exactly once).
 */
const CRONER_OPTIONS: Readonly<CronOptions> = Object.freeze({
  mode: '5-or-6-parts',
  fixedTimeRule: 'no-wildcard',
  domAndDow: false,
  alternativeWeekdays: false,
  sloppyRanges: false,
});

/** Long enough for any sensible expression; bounds the work and the cache's memory. */
const MAX_CRON_LENGTH = 256;

const FIELDS_WITHOUT_SECONDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
const FIELDS_WITH_SECONDS = ['second', ...FIELDS_WITHOUT_SECONDS];

/** What each field takes, for the messages. */
const FIELD_SYNTAX: Record<string, string> = {
  second: '0-59',
  minute: '0-59',
  hour: '0-23',
  'day-of-month': '1-31, L, LW or nW',
  month: '1-12 or JAN-DEC',
  'day-of-week': '0-7 or SUN-SAT (0 and 7 are Sunday), n#k, nL, + prefix for AND',
};

/** Characters croner reads inside a field; `:` would make croner read the text as a one-off ISO date. */
const FIELD_CHARACTERS = /^[0-9A-Za-z*?,/#+-]+$/;

/** The nicknames croner knows, refused with the 5 fields to write instead (the contract takes fields only). */
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** croner's messages start with the class that threw. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(?:CronPattern|CronOptions|Cron): /, '');
}

function tryCompile(pattern: string, timeZone: string): { job: Cron } | { error: unknown } {
  try {
    return { job: new Cron(pattern, { ...CRONER_OPTIONS, timezone: timeZone }) };
  } catch (error) {
    return { error };
  }
}

/** How many fields an expression has, as the messages say it. */
const FIELD_COUNT_RULE = '5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first';

/**
 * Compiles a cron expression into a croner job (never started: it only computes fire times), or throws
 * INVALID_PARAMETER naming `field`, with a message that names the cron field at fault and what is wrong.
 * `timeZone` must have been checked (croner only reads it when computing a time).
 */
export function compileCronExpression(operation: string, field: string, cron: string, timeZone: string): Cron {
  const refuse = (rule: string) => invalidParameter(operation, field, rule, cron);
  if (cron.length > MAX_CRON_LENGTH) throw refuse(`must be at most ${MAX_CRON_LENGTH} characters`);
  const text = cron.trim();
  if (text.startsWith('@')) {
    const fields = NICKNAMES[text.toLowerCase()];
    throw refuse(
      fields
        ? `nicknames are not accepted: write the 5 fields "${fields}" instead of "${text}"`
        : `must be ${FIELD_COUNT_RULE}; "${text}" is not a schedule`,
    );
  }
  const parts = text.length === 0 ? [] : text.split(/[ \t]+/);
  if (parts.length !== 5 && parts.length !== 6) {
    const yearHint = parts.length === 7 ? ' (a year field is not accepted)' : '';
    throw refuse(`must have ${FIELD_COUNT_RULE}; it has ${parts.length}${yearHint}`);
  }
  const names = parts.length === 6 ? FIELDS_WITH_SECONDS : FIELDS_WITHOUT_SECONDS;
  parts.forEach((part, index) => {
    if (!FIELD_CHARACTERS.test(part)) {
      const syntax = FIELD_SYNTAX[names[index]];
      throw refuse(`${names[index]} field ${JSON.stringify(part)} holds a character no cron field takes (${syntax})`);
    }
  });
  const pattern = parts.join(' ');
  const compiled = tryCompile(pattern, timeZone);
  if ('error' in compiled) {
    // croner names the field its own way (or by index): find the field that fails on its own.
    const index = parts.findIndex(
      (_, at) => 'error' in tryCompile(parts.map((part, other) => (other === at ? part : '*')).join(' '), timeZone),
    );
    const reason = reasonOf(compiled.error);
    if (index < 0) throw refuse(`is not a valid cron expression: ${reason}`);
    const syntax = FIELD_SYNTAX[names[index]];
    throw refuse(`${names[index]} field ${JSON.stringify(parts[index])} is invalid (it takes ${syntax}): ${reason}`);
  }
  // Without a year field every expression repeats within 400 years, and croner searches up to year 3000.
  if (compiled.job.nextRun(new Date(0)) === null) {
    throw refuse('never fires: its day-of-month, month and day-of-week fields match no date');
  }
  return compiled.job;
}
