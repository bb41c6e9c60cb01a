interface Waiter {
  resolve: (taken: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * The replica's `maxConcurrent` slots, taken by a run as its handler is called and given back as it ends. Runs
 * claimed ahead take theirs only at their time, so a second's hundreds of runs can be claimed and confirmed
 * before it with few slots: at their time those beyond the free slots wait, first come first served, for a
 * handler to end, at most a given time (then they are given back for another replica).
 */
export class SlotGate {
  private taken = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly size: number) {}

  /** Slots taken (handlers running). */
  get busy(): number {
    return this.taken;
  }

  /** Takes a slot: true at once or once one frees within `maxWaitMs`; false after that (no slot taken). */
  take(maxWaitMs: number): Promise<boolean> {
    if (this.taken < this.size && this.waiters.length === 0) {
      this.taken++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve(false);
        }, maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Gives a slot back: the longest waiting run takes it. */
  give(): void {
    const next = this.waiters.shift();
    if (next === undefined) {
      this.taken = Math.max(this.taken - 1, 0);
      return;
    }
    clearTimeout(next.timer);
    next.resolve(true);
  }

  /** Shutdown: every waiting run is answered at once, without a slot. */
  releaseWaiters(): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
  }
}
