import type { FinishRunInput, FinishRunResult } from './scheduler-store.interface';

/** Most runs one finish call carries (the script's arguments stay small). */
const MAX_RUNS_PER_CALL = 256;
/** Longest a finish waits while the finishes are held (see `hold`). */
const MAX_HOLD_MS = 100;

interface QueuedFinish {
  run: FinishRunInput;
  resolve: (result: FinishRunResult) => void;
  reject: (error: unknown) => void;
}

/** Sends the finishes of one group (same replica and history length) in one call; one result per run, in order. */
export type SendFinishes = (runs: FinishRunInput[]) => Promise<FinishRunResult[]>;

/**
 * Gathers the finishes of the runs that end in the same tick of the event loop and sends them together: a
 * thousand handlers that end at once cost a few script calls, not a thousand. Each caller still gets its own
 * result; a call that fails rejects the finishes it carried (each caller retries its own). While held (a look
 * that claims fires due now is under way), finishes wait, at most MAX_HOLD_MS: the claims, which decide when
 * handlers start, go to Redis first; the finishes only record what is over.
 */
export class FinishBatcher {
  private queued: QueuedFinish[] = [];
  private scheduled = false;
  private held = false;
  private holdTimer?: NodeJS.Timeout;

  constructor(private readonly send: SendFinishes) {}

  finish(run: FinishRunInput): Promise<FinishRunResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ run, resolve, reject });
      if (this.held) this.holdTimer ??= setTimeout(() => this.release(), MAX_HOLD_MS);
      else this.schedule();
    });
  }

  /** Holds the finishes until `release` (at most MAX_HOLD_MS). */
  hold(): void {
    this.held = true;
  }

  /** Sends the finishes held, and every later one at once again. */
  release(): void {
    this.held = false;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (this.queued.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.held) {
      this.holdTimer ??= setTimeout(() => this.release(), MAX_HOLD_MS);
      return;
    }
    const queued = this.queued;
    this.queued = [];
    const groups = new Map<string, QueuedFinish[]>();
    for (const entry of queued) {
      const key = `${entry.run.historyLength}|${entry.run.instanceId}`;
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    for (const group of groups.values()) {
      for (let from = 0; from < group.length; from += MAX_RUNS_PER_CALL) {
        const slice = group.slice(from, from + MAX_RUNS_PER_CALL);
        this.send(slice.map((entry) => entry.run)).then(
          (results) => slice.forEach((entry, i) => entry.resolve(results[i])),
          (error: unknown) => slice.forEach((entry) => entry.reject(error)),
        );
      }
    }
  }
}
