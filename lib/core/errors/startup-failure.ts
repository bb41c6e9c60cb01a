import type { Logger } from '@nestjs/common';
import { scrubText } from './credential-scrubber';
import { describeThrown } from './describe-thrown';

/**
 * A failure that stops the app's startup (Redis unreachable, a bad decorated task): logged as one ERROR line through
 * Nest's logger, like an option error, then returned to be thrown from `app.init()` as it is.
 */
export function startupFailure(logger: Logger, error: unknown): unknown {
  logger.error(`Startup failed: ${scrubText(describeThrown(error))}`);
  if (typeof error === 'object' && error !== null) logged.add(error);
  return error;
}

const logged = new WeakSet<object>();

/**
 * Whether `error` is a startup failure the library has logged already (`Startup failed: …`), so that an app's
 * `bootstrap().catch(...)` logs only the others (a port in use, its own hooks) and the reader sees one line.
 */
export function isLoggedStartupFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error);
}
