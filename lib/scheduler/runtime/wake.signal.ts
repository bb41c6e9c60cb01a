import { Injectable } from '@nestjs/common';

/**
 * The loop's sleep between looks, and what ends it early: a change of the task set, a freed slot while the loop
 * waits for one, a new workflow, a trigger. A wake that comes while the loop is looking ends its next sleep at once.
 */
@Injectable()
export class WakeSignal {
  /**
   * Set by the loop when its last look was limited by the free slots or by the room for runs claimed ahead: a freed
   * slot, or a run claimed ahead reaching its time, is then worth a look.
   */
  waitingForSlots = false;
  private wakeSleeper?: () => void;
  private wakeRequested = false;

  /**
   * A slot was freed (a handler ended): a look only when the last one was short of slots. Otherwise the loop
   * already sleeps until the next due fire; waking at every handler end would cost a look per run.
   */
  slotFreed(): void {
    if (this.waitingForSlots) this.wake();
  }

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
