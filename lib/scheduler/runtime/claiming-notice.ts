import type { Logger } from '@nestjs/common';

/**
 * Says when this replica stops claiming runs because its looks at Redis fail (Redis down, stalled, refusing), and
 * when it claims again: one line each, not one per failed look.
 */
export class ClaimingNotice {
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  /** The outcome of a look: `error` (scrubbed) when it failed. */
  looked(error: string | undefined): void {
    if (error !== undefined && !this.stopped) {
      this.stopped = true;
      this.logger.warn(`Stopped claiming runs: the look at Redis failed (${error}); no run starts until Redis answers`);
    } else if (error === undefined && this.stopped) {
      this.stopped = false;
      this.logger.log('Claiming runs again: Redis answers');
    }
  }
}
