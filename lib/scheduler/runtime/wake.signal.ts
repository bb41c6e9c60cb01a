import { Injectable } from '@nestjs/common';

/**
 * The loop's sleep between looks, and what ends it early: a change of the task set, a freed slot, a new
 * workflow, a trigger. A wake that comes while the loop is looking ends its next sleep at once.
 */
@Injectable()
export class WakeSignal {
  private wakeSleeper?: () => void;
  private wakeRequested = false;

  /** Ends the current sleep, or the next one if the loop is awake. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  /** Settles after `ms`, or at the first wake. */
  sleep(ms: number): Promise<void> {
    if (this.wakeRequested || ms <= 0) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        this.wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }
}
