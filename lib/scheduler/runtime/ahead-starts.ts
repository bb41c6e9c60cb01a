import { performance } from 'node:perf_hooks';

interface PendingStart {
  promise: Promise<void>;
  resolve: () => void;
  timer?: NodeJS.Timeout;
}

/**
 * The local start times of runs claimed ahead: one timer per distinct deadline (`performance.now()` ms), shared by
 * every run that starts then, so that the hundreds of runs of one fire time start in one turn of the event loop.
 * A timer that fires before its deadline (timers may round down) waits for the rest: never early.
 */
export class AheadStarts {
  private readonly pending = new Map<number, PendingStart>();

  /** Settles at `deadline` (`performance.now()` ms), not before. */
  at(deadline: number): Promise<void> {
    const known = this.pending.get(deadline);
    if (known) return known.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((settle) => (resolve = settle));
    this.pending.set(deadline, { promise, resolve });
    this.arm(deadline);
    return promise;
  }

  /** Settles every start now (a shutdown gave the runs back: they check that, and do not start). */
  releaseAll(): void {
    for (const start of this.pending.values()) {
      clearTimeout(start.timer);
      start.resolve();
    }
    this.pending.clear();
  }

  private arm(deadline: number): void {
    const start = this.pending.get(deadline);
    if (!start) return;
    start.timer = setTimeout(
      () => {
        if (performance.now() < deadline) return this.arm(deadline);
        this.pending.delete(deadline);
        start.resolve();
      },
      Math.max(Math.ceil(deadline - performance.now()), 1),
    );
  }
}
