import type { ViewCell } from './dashboard-view.interface';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A span of time in its two largest units: `850 ms`, `2.4 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  const span = Math.abs(ms);
  if (span < SECOND) return `${Math.round(span)} ms`;
  if (span < 10 * SECOND) return `${(Math.floor(span / 100) / 10).toFixed(1)} s`;
  if (span < MINUTE) return `${Math.floor(span / SECOND)} s`;
  const [big, small, bigName, smallName] =
    span < HOUR ? [MINUTE, SECOND, 'min', 's'] : span < DAY ? [HOUR, MINUTE, 'h', 'min'] : [DAY, HOUR, 'd', 'h'];
  const rest = Math.floor((span % big) / small);
  return `${Math.floor(span / big)} ${bigName}${rest > 0 ? ` ${rest} ${smallName}` : ''}`;
}

/** `in 5 s`, `3 min ago`, `now`. */
export function formatRelative(at: number, now: number): string {
  const delta = at - now;
  if (Math.abs(delta) < SECOND) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/** `2025-06-01 12:00:03 UTC`. */
export function formatUtc(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** One formatter per time zone (building one costs far more than formatting with it); bounded by the zones in use. */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in a time zone: `2025-06-01 14:00:03`. */
export function formatInZone(at: number, timeZone: string): string {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** A moment as a cell: relative to now, the exact UTC time on hover; `—` for none. */
export function momentCell(at: number | null, now: number, noneText = '—'): ViewCell {
  if (at === null) return { text: noneText, tone: 'muted' };
  return { text: formatRelative(at, now), title: formatUtc(at) };
}

/** `text` cut to `limit` characters, saying how much was left out. */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}
