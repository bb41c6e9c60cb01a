export interface RefreshingValueOptions {
  /** How long a value is reused, counted from when its computation completed. */
  maxAgeMs: number;
  /** Once older: `true` serves it while a new one is computed in the background; `false` waits for the new one. */
  serveStale: boolean;
  /** A background computation that failed (the previous value goes on being served; the next call tries again). */
  onBackgroundError?: (error: unknown) => void;
  /** Milliseconds now; `Date.now` unless a test drives time. */
  clock?: () => number;
}

/**
 * A value that costs a walk of Redis (a SCAN, a round trip per service), shared by every page that polls it:
 * never more than one computation in flight, reused for `maxAgeMs` after the last one completed, however
 * many pages ask and however long a computation takes. A failed computation is not kept.
 */
export class RefreshingValue<T> {
  private current?: { value: T; completedAt: number };
  private inFlight?: Promise<T>;
  private readonly clock: () => number;

  constructor(
    private readonly compute: () => Promise<T>,
    private readonly options: RefreshingValueOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** The value: the current one while fresh, else (or the stale one while) the computation under way. */
  get(): Promise<T> {
    const current = this.current;
    if (current !== undefined && this.clock() - current.completedAt < this.options.maxAgeMs)
      return Promise.resolve(current.value);
    const next = this.refresh();
    return current === undefined || !this.options.serveStale ? next : Promise.resolve(current.value);
  }

  private refresh(): Promise<T> {
    if (this.inFlight !== undefined) return this.inFlight;
    // Nobody waits for a background computation: its failure is reported here, once.
    const background = this.current !== undefined && this.options.serveStale;
    const inFlight = this.compute().then(
      (value) => {
        this.current = { value, completedAt: this.clock() };
        this.inFlight = undefined;
        return value;
      },
      (error: unknown) => {
        this.inFlight = undefined;
        if (background) this.options.onBackgroundError?.(error);
        throw error;
      },
    );
    if (background) inFlight.catch(() => undefined);
    this.inFlight = inFlight;
    return inFlight;
  }
}
