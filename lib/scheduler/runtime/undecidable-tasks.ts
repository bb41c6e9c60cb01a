import type { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { scrubText } from '../../core/errors/credential-scrubber';
import type { DueCandidate } from '../store/scheduler-store.interface';

/** A due task no decision can be made on is passed over this long before this replica tries it again. */
const PASS_OVER_MS = 30_000;

/** A due task this replica could not decide on: passed over by peek until `until`; warned about once per version. */
interface UndecidableTask {
  version: number;
  /** `performance.now()` until which peek passes it over. */
  until: number;
}

/**
 * Due tasks no decision could be made on (a time zone this runtime does not know, a definition written by a newer
 * version), by id: peek passes them over for a while, so that they neither block the other tasks nor flood the log.
 */
export class UndecidableTasks {
  private readonly tasks = new Map<string, UndecidableTask>();

  constructor(private readonly logger: Logger) {}

  /** The ids peek passes over now. */
  passedOver(): string[] {
    const now = performance.now();
    return [...this.tasks].filter(([, task]) => task.until > now).map(([id]) => id);
  }

  /** Passes over a due task for a while; warns once per task and definition version. */
  passOver(due: DueCandidate, error: Error): void {
    const { id, version } = due.task;
    const known = this.tasks.get(id);
    this.tasks.set(id, { version, until: performance.now() + PASS_OVER_MS });
    if (known?.version === version) return;
    this.logger.warn(
      `Task "${id}": no decision for its fire ${new Date(due.fireTime).toISOString()}: ${scrubText(error.message)}; ` +
        `this replica passes it over (tries again every ${PASS_OVER_MS / 1000} s, ` +
        'warns again when its definition changes)',
    );
  }

  /** A decision was made on the task: it is no longer passed over. */
  decided(id: string): void {
    this.tasks.delete(id);
  }
}
