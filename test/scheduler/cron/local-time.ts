const formats = new Map<string, Intl.DateTimeFormat>();

/** `2026-03-08 03:00:00 EDT`: the wall-clock time of `ms` in `timeZone`, with its abbreviation. */
export function localTime(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    formats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(ms)).map(({ type, value }) => [type, value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`;
}

/** The local date (`2026-03-08`) of `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  return localTime(ms, timeZone).slice(0, 10);
}

/** Milliseconds of an ISO instant written with its offset or `Z`. */
export function at(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) throw new Error(`not an absolute ISO instant: ${iso}`);
  return ms;
}

/** Differences between consecutive values. */
export function gaps(values: number[]): number[] {
  return values.slice(1).map((value, index) => value - values[index]);
}
