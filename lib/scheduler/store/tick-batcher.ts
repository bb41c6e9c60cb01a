/** Most items one call carries (the script's arguments stay small). */
const MAX_ITEMS_PER_CALL = 256;
/** Longest an item waits while the batcher is held (see `hold`). */
const MAX_HOLD_MS = 100;

interface Queued<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/** Sends the items of one group in one call; one result per item, in order. */
export type SendBatch<Item, Result> = (items: Item[]) => Promise<Result[]>;

/**
 * Gathers the calls made in the same tick of the event loop (the finishes of runs that end together, the start
 * confirmations of runs due at the same instant) and sends each group (same `groupOf`; without it, one group) in
 * one call: a thousand runs at once cost a few script calls, not a thousand. Each caller still gets its own result;
 * a call that fails rejects the items it carried (each caller retries its own). While held (a look that claims fires
 * due now is under way), items wait, at most MAX_HOLD_MS: the claims, which decide when handlers start, go to Redis
 * first.
 */
export class TickBatcher<Item, Result> {
  private queued: Array<Queued<Item, Result>> = [];
  private scheduled = false;
  private held = false;
  private holdTimer?: NodeJS.Timeout;

  constructor(
    private readonly send: SendBatch<Item, Result>,
    private readonly groupOf: (item: Item) => string = () => '',
  ) {}

  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (this.held) this.holdTimer ??= setTimeout(() => this.release(), MAX_HOLD_MS);
      else this.schedule();
    });
  }

  /** Holds the items until `release` (at most MAX_HOLD_MS). */
  hold(): void {
    this.held = true;
  }

  /** Sends the items held, and every later one at once again. */
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
    const groups = new Map<string, Array<Queued<Item, Result>>>();
    for (const entry of queued) {
      const key = this.groupOf(entry.item);
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    for (const group of groups.values()) {
      for (let from = 0; from < group.length; from += MAX_ITEMS_PER_CALL) {
        const slice = group.slice(from, from + MAX_ITEMS_PER_CALL);
        this.send(slice.map((entry) => entry.item)).then(
          (results) => slice.forEach((entry, i) => entry.resolve(results[i])),
          (error: unknown) => slice.forEach((entry) => entry.reject(error)),
        );
      }
    }
  }
}
