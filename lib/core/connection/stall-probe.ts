import type { RedisClient } from './redis-connection';

/** Time between two PINGs to a Redis that stopped answering. */
const PROBE_INTERVAL_MS = 1_000;

/**
 * Tells a stalled Redis (a hung or SIGSTOPped server keeps its sockets open: nothing closes, commands only time
 * out) from a slow command. After a timeout, one PING: if it is not answered within the command timeout either,
 * Redis is stalled (`onStalled`), and PINGs go on, one at a time, until one is answered (`onAnswered`).
 */
export class StallProbe {
  private probing = false;
  private stopped = false;

  constructor(
    private readonly client: RedisClient,
    private readonly timeoutMs: number,
    private readonly onStalled: () => void,
    private readonly onAnswered: () => void,
  ) {}

  /** A command timed out: checks whether Redis answers at all (once at a time). */
  check(): void {
    if (this.probing || this.stopped) return;
    this.probing = true;
    void this.probe().finally(() => (this.probing = false));
  }

  stop(): void {
    this.stopped = true;
  }

  private async probe(): Promise<void> {
    let stalled = false;
    while (!this.stopped && this.client.status === 'ready') {
      const ping = this.ping();
      const inTime = await Promise.race([ping, delay(this.timeoutMs).then(() => 'late' as const)]);
      // An error reply is an answer too; a closed connection is the close handler's to report.
      if (inTime === 'answered' || inTime === 'closed') {
        if (stalled && inTime === 'answered') this.onAnswered();
        return;
      }
      if (!stalled && !this.stopped) {
        stalled = true;
        this.onStalled();
      }
      // One PING at a time: a late one is waited for (ioredis's commandTimeout, if set, rejects it) before another.
      if (inTime === 'late' && (await ping) === 'answered') {
        this.onAnswered();
        return;
      }
      await delay(PROBE_INTERVAL_MS);
    }
  }

  private ping(): Promise<'answered' | 'timeout' | 'closed'> {
    return this.client.ping().then(
      () => 'answered',
      (error: unknown) => {
        if (this.client.status !== 'ready') return 'closed';
        return /timed out/i.test(String((error as Error | undefined)?.message)) ? 'timeout' : 'answered';
      },
    );
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
