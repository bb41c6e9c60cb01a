import cronstrue from 'cronstrue';

/**
 * A cron expression in words (`Every 2 seconds`, `At 09:00, Monday through Friday`); `null` when cronstrue cannot
 * read it.
 */
export function describeCron(expression: string): string | null {
  try {
    return cronstrue.toString(expression, {
      use24HourTimeFormat: true,
      throwExceptionOnParseError: true,
      verbose: false,
    });
  } catch {
    return null;
  }
}
