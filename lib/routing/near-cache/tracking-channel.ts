import type { Redis } from 'ioredis';
import { coalesceWrites } from '../../core/connection/write-coalescing';
import { evalScript } from '../../core/scripts/script-runner';
import { ROUTING_SCRIPTS } from '../routing-script-names';

/** The Pub/Sub channel on which Redis sends the invalidations of a RESP2 client that tracks with `REDIRECT`. */
const INVALIDATION_CHANNEL = '__redis__:invalidate';

export interface TrackingListener {
  /** Keys another client changed (or this one: Redis does not tell), or `null` when the database was flushed. */
  invalidated(keys: Buffer[] | null): void;
  /** The channel can no longer be trusted: whatever was read through it may be stale. */
  lost(): void;
}

const READ_LINKS = ROUTING_SCRIPTS.statefulGetLinkService;

/** Makes the two connections of a channel to one Redis node, not connected yet (`lazyConnect`). */
export type NodeConnectionFactory = (role: 'reader' | 'subscriber') => Redis;

/** First wait before a failed setup step (on connections that stayed up) is tried again; doubles up to the last. */
const FIRST_SETUP_RETRY_MS = 100;
const LAST_SETUP_RETRY_MS = 5_000;

/**
 * Server-assisted client-side caching on one Redis node, in the RESP2 way that every ioredis
 * version understands: a subscriber connection listens on `__redis__:invalidate`, and a reader
 * connection runs `CLIENT TRACKING on REDIRECT <subscriber id>`, so that Redis remembers every
 * key the reader reads and sends its name to the subscriber when it changes. (ioredis 6 speaks
 * RESP3 but drops `invalidate` push frames, so in-band RESP3 tracking is not an option.)
 *
 * The reader is either a connection of the channel's own, which tracks every key it reads, or
 * the module's own connection (`sharedReader`, when the module owns it): then tracking is
 * `OPTIN`, so that only the near-cache's reads (each preceded by `CLIENT CACHING yes`) are
 * tracked, not every key the module reads; and `NOLOOP`, so that Redis does not report the
 * module's own writes, which the near-cache forgets by itself. Sharing saves a socket and its
 * system calls on every miss, and the invalidation messages of the process's own writes.
 *
 * The channel is active only while both connections are up and tracking is on; any close
 * deactivates it and tells the listener, which forgets everything read through it. Every way back
 * leads to tracking on again: a `ready` of either connection resumes the setup where it stands,
 * and a step that fails while both stay up (a timeout, a refused command) is tried again later.
 */
export class TrackingChannel {
  readonly reader: Redis;
  private readonly subscriber: Redis;
  private readonly ownsReader: boolean;
  /** The subscriber's id once it listens on the invalidation channel; cleared when it closes. */
  private subscriberId?: number;
  private isActive = false;
  private closed = false;
  /** Bumped by every close of the subscriber, so that a subscription that finishes after one is ignored. */
  private subscriberEpoch = 0;
  /** Bumped by every close of either connection, so that a tracking step that finishes after one is ignored. */
  private generation = 0;
  private readonly waiters: Array<() => void> = [];
  private retryTimer?: NodeJS.Timeout;
  private failedSetups = 0;

  constructor(
    connect: NodeConnectionFactory,
    private readonly listener: TrackingListener,
    private readonly onSetupError: (error: Error) => void,
    sharedReader?: Redis,
  ) {
    this.ownsReader = sharedReader === undefined;
    this.reader = sharedReader ?? connect('reader');
    this.subscriber = connect('subscriber');
    coalesceWrites(this.reader);
    this.subscriber.on('messageBuffer', this.onMessage);
    this.subscriber.on('ready', this.onSubscriberReady);
    this.reader.on('ready', this.onReaderReady);
    this.subscriber.on('close', this.onSubscriberClose);
    this.reader.on('close', this.onReaderClose);
    // Failures are reported by 'close' and the setup steps; without a listener ioredis would print them.
    this.subscriber.on('error', this.ignoreError);
    if (this.ownsReader) this.reader.on('error', this.ignoreError);
  }

  get active(): boolean {
    return this.isActive;
  }

  /**
   * `[pod id or null, PTTL]` of a link key, read (and so tracked) on the reader connection. `GET`
   * and `PTTL` leave back to back, so nothing of this process comes between them; a write of
   * another client that does is reported, since the `GET` made Redis track the key.
   */
  readLink(key: string): Promise<[string | null, number]> {
    this.optIn();
    // Both awaited together: when the GET fails, the PTTL's failure must not go unheard.
    return Promise.all([this.reader.get(key), this.reader.pttl(key)]);
  }

  /** The flat `[service, pod id, ...]` link map of a uid hash key (`statefulGetLinkService`), tracking the hash. */
  readLinks(hashKey: string): Promise<unknown> {
    return evalScript(this.reader, READ_LINKS, [hashKey], [], () => this.optIn());
  }

  /** The PTTL of a key, tracking it. */
  readTtl(key: string): Promise<number> {
    this.optIn();
    return this.reader.pttl(key);
  }

  /** With `OPTIN`, Redis tracks the keys of the very next command only: it is sent right after, in the same write. */
  private optIn(): void {
    if (!this.ownsReader) this.reader.call('CLIENT', 'CACHING', 'yes').catch(this.ignoreError);
  }

  /** Connects both connections; resolves once tracking is on, or after `timeoutMs` (the channel goes on trying). */
  open(timeoutMs: number): Promise<boolean> {
    for (const connection of [this.subscriber, this.reader]) {
      if (connection.status === 'wait') connection.connect().catch(() => undefined);
    }
    if (this.isActive) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.isActive), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.deactivate();
    this.subscriber.disconnect();
    if (this.ownsReader) {
      this.reader.disconnect();
    } else {
      this.reader.off('ready', this.onReaderReady);
      this.reader.off('close', this.onReaderClose);
      if (this.reader.status === 'ready') this.reader.call('CLIENT', 'TRACKING', 'off').catch(this.ignoreError);
    }
  }

  private readonly ignoreError = () => undefined;

  private readonly onMessage = (channel: Buffer, message: Buffer[] | Buffer | null) => {
    if (channel.toString() !== INVALIDATION_CHANNEL) return;
    this.listener.invalidated(Array.isArray(message) ? message : message === null ? null : [message]);
  };

  private readonly onSubscriberReady = () => {
    const epoch = this.subscriberEpoch;
    this.subscribe(epoch).then(
      () => this.tryEnableTracking(),
      (error: Error) => this.setupFailed(error, epoch === this.subscriberEpoch ? () => this.resubscribe() : undefined),
    );
  };

  private readonly onReaderReady = () => {
    this.tryEnableTracking();
  };

  /** Listens on the invalidation channel and keeps the subscriber's id, unless the subscriber closed meanwhile. */
  private async subscribe(epoch: number): Promise<void> {
    // CLIENT ID first: once subscribed, a RESP2 connection accepts only Pub/Sub commands.
    const id = (await this.subscriber.client('ID')) as number;
    await this.subscriber.subscribe(INVALIDATION_CHANNEL);
    if (epoch === this.subscriberEpoch && !this.closed) this.subscriberId = id;
  }

  /** A subscription that failed on an open connection leaves it in an unknown state: start it afresh. */
  private resubscribe(): void {
    if (this.subscriber.status === 'ready') this.subscriber.disconnect(true);
  }

  private tryEnableTracking(): void {
    const generation = this.generation;
    this.enableTracking().catch((error: Error) =>
      this.setupFailed(error, generation === this.generation ? () => this.tryEnableTracking() : undefined),
    );
  }

  /** Turns tracking on once the subscriber listens and the reader is up; whichever comes last does it. */
  private async enableTracking(): Promise<void> {
    if (this.closed || this.isActive || this.subscriberId === undefined || this.reader.status !== 'ready') return;
    const generation = this.generation;
    // Also when tracking is already on (the subscriber came back with a new id): Redis takes the new REDIRECT.
    const mode = this.ownsReader ? ['NOLOOP'] : ['OPTIN', 'NOLOOP'];
    await this.reader.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(this.subscriberId), ...mode);
    if (generation !== this.generation || this.closed) return;
    this.isActive = true;
    this.failedSetups = 0;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /**
   * Reports the first failure of a setup (not every retry) and schedules `retry`, if any: without one,
   * a connection closed meanwhile, and its `ready` will resume the setup.
   */
  private setupFailed(error: Error, retry: (() => void) | undefined): void {
    if (this.closed || retry === undefined) return;
    if (this.failedSetups === 0) this.onSetupError(error);
    const delayMs = Math.min(FIRST_SETUP_RETRY_MS * 2 ** Math.min(this.failedSetups, 10), LAST_SETUP_RETRY_MS);
    this.failedSetups++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.closed && !this.isActive) retry();
    }, delayMs);
    this.retryTimer.unref();
  }

  private readonly onSubscriberClose = () => {
    this.subscriberEpoch++;
    this.subscriberId = undefined;
    this.deactivate();
  };

  private readonly onReaderClose = () => {
    this.deactivate();
  };

  private deactivate(): void {
    this.generation++;
    this.isActive = false;
    this.listener.lost();
  }
}
