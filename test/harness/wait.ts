/**
 * Calls `check` until it returns something other than a string (the reason it is
 * not done yet) or `timeoutMs` passes; failures of `check` (e.g. a node that is
 * down) count as "not yet". The error names what was awaited and the last reason.
 */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | string>,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const overdue = Symbol('overdue');
  let last = 'not checked yet';
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        check(),
        new Promise<typeof overdue>(
          (resolve) => (timer = setTimeout(() => resolve(overdue), Math.max(deadline - Date.now(), 0))),
        ),
      ]);
      if (result === overdue) last += ' (and the last check did not finish in time)';
      else if (typeof result !== 'string') return result;
      else last = result;
    } catch (error) {
      last = (error as Error).message.trim();
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(deadline - Date.now(), 0))));
  }
}

/** Retries `action` until it resolves (its result) or `timeoutMs` passes (its last error). */
export async function eventually<T>(
  what: string,
  action: () => Promise<T>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (Date.now() >= deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(error as Error).message}`, {
          cause: error,
        });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
