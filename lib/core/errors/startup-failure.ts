import type { Logger } from '@nestjs/common';
import { scrubText } from './credential-scrubber';
import { describeThrown } from './describe-thrown';

/**
 * A failure that stops the app's startup (Redis unreachable, a bad decorated task): logged as one ERROR line through
 * Nest's logger, like an option error, then returned to be thrown from `app.init()` as it is.
 */
export function startupFailure(logger: Logger, error: unknown): unknown {
  logger.error(`Startup failed: ${scrubText(describeThrown(error))}`);
  return error;
}
