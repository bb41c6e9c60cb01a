import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { registerSecrets, scrubText } from '../errors/credential-scrubber';
import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';
import { connectionPasswords } from './connection-passwords';
import { createOwnedClient } from './redis-client.factory';
import { describeEndpoint } from './redis-endpoint';
import { StallProbe } from './stall-probe';

export type RedisClient = Redis | Cluster;

const AUTHENTICATION_FAILURE = /^(WRONGPASS|NOAUTH|NOPERM|ERR invalid password|ERR AUTH)/;

/**
 * The module's Redis connection: created and closed here when the module owns it, borrowed
 * otherwise. Logs its first connect (LOG), each loss (WARN: closed, or a stalled server whose
 * commands time out) and each recovery (LOG), once each; knows when it is down (a reconnect
 * attempt failed), so that calls fail fast meanwhile; tells listeners when it is ready again
 * (to reload the scripts into a Redis that restarted empty).
 */
export class RedisConnection {
  readonly client: RedisClient;
  readonly owned: boolean;
  readonly endpoint: string;
  private readonly logger = new Logger('StatefulRedis');
  private readonly readyListeners: Array<() => void> = [];
  private everReady = false;
  /** A loss was logged, and no recovery since. */
  private lost = false;
  /** The connection closed since it was last ready, and a reconnect attempt failed since: calls fail fast. */
  private down = false;
  private closedSinceReady = false;
  private closed = false;
  private lastError?: Error;
  private readonly stallProbe: StallProbe;
  /** Ends the scrubbing of this connection's passwords from error texts. */
  private readonly releasePasswords: () => void;

  constructor(private readonly options: ResolvedStatefulRedisOptions) {
    this.owned = !options.client;
    this.client = options.client ?? createOwnedClient(options);
    this.endpoint = describeEndpoint(options);
    // Before any connect: a refused handshake's error must already find them.
    this.releasePasswords = registerSecrets(connectionPasswords(options, this.client));
    this.client.on('ready', this.onReady);
    this.client.on('close', this.onClose);
    this.client.on('error', this.onError);
    this.stallProbe = new StallProbe(this.client, options.commandTimeoutMs, this.onStalled, this.onAnswered);
  }

  get isReady(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Why calls fail fast now: the connection was lost (or never made, with `lazyConnect`) and a reconnect
   * attempt has failed since; `undefined` while it is up or may be back any moment.
   */
  get downReason(): string | undefined {
    if (!this.down || this.isReady) return undefined;
    const reason = this.lastError ? `: ${scrubText(this.lastError.message)}` : '';
    return `the connection to Redis at ${this.endpoint} is down${reason}`;
  }

  /** A command or a health probe timed out: whether Redis answers at all is checked (a stalled server is logged). */
  timedOut(): void {
    if (!this.closed) this.stallProbe.check();
  }

  /**
   * Whether calls need the library's own deadline: ioredis's `commandTimeout` covers only owned single-node
   * clients.
   */
  get needsCallDeadline(): boolean {
    return !this.owned || this.client.isCluster;
  }

  onReadyAgain(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Connects and waits until Redis answers, at most `connectTimeoutMs`. */
  async open(): Promise<void> {
    if (this.isReady) return;
    // failures arrive as 'error' events
    if (this.client.status === 'wait') this.client.connect().catch(() => undefined);
    const timeoutMs = this.options.connectTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      const settle = (failure?: string) => {
        clearTimeout(timer);
        this.client.off('ready', ready);
        this.client.off('error', refused);
        if (failure === undefined) return resolve();
        // An owned client would go on reconnecting and keep the failed process alive; a lazy
        // start has not failed, so its client goes on reconnecting in the background.
        if (this.owned && !this.options.lazyConnect) this.client.disconnect();
        const reason = this.lastError ? `: ${this.lastError.message}` : '';
        reject(
          new StatefulError(
            ErrorCode.REDIS_CONNECTION_ERROR,
            `Cannot connect to Redis at ${this.endpoint} ${failure}${reason}`,
            {
              cause: this.lastError,
              operation: 'connect',
            },
          ),
        );
      };
      const ready = () => settle();
      // Wrong credentials will not get better by waiting: fail at once.
      const refused = (error: Error) => {
        if (AUTHENTICATION_FAILURE.test(error.message)) settle('(authentication refused)');
      };
      const timer = setTimeout(() => settle(`within ${timeoutMs} ms`), timeoutMs);
      this.client.once('ready', ready);
      this.client.on('error', refused);
    });
    await this.checkDatabase();
  }

  /**
   * ioredis selects the configured database at connect, and carries on in database 0 when Redis refuses it (an
   * index the server does not have): asked again here, so that a wrong database fails the start instead.
   */
  private async checkDatabase(): Promise<void> {
    const db = this.client.isCluster ? 0 : ((this.client as Redis).options.db ?? 0);
    if (db === 0) return;
    try {
      await (this.client as Redis).select(db);
    } catch (error) {
      if (this.owned && !this.options.lazyConnect) this.client.disconnect();
      throw new StatefulError(
        ErrorCode.REDIS_CONNECTION_ERROR,
        `Cannot use database ${db} of Redis at ${this.endpoint}: ${(error as Error).message}`,
        { cause: error, operation: 'connect' },
      );
    }
  }

  /** Closes an owned connection (a borrowed one is left open) and stops listening to it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stallProbe.stop();
    this.releasePasswords();
    this.client.off('ready', this.onReady);
    this.client.off('close', this.onClose);
    if (!this.owned) {
      this.client.off('error', this.onError);
      return;
    }
    try {
      if (this.isReady) await this.client.quit();
    } catch {
      // quit can fail on a broken socket; disconnect below closes it anyway.
    } finally {
      this.client.disconnect();
      this.client.off('error', this.onError);
    }
  }

  private readonly onReady = () => {
    this.down = false;
    this.closedSinceReady = false;
    if (!this.everReady) this.logger.log(`Connected to Redis at ${this.endpoint}`);
    this.everReady = true;
    this.recovered();
    for (const listener of this.readyListeners) listener();
  };

  private readonly onClose = () => {
    this.closedSinceReady = true;
    if (this.closed || this.lost || !this.everReady) return;
    this.lost = true;
    this.logger.warn(`Connection to Redis at ${this.endpoint} lost; calls fail until it is back`);
  };

  private readonly onError = (error: Error) => {
    // Kept for the startup message; the loss itself is logged once by onClose, not per retry.
    this.lastError = error;
    // A (re)connect attempt failed: until one succeeds, calls fail at once rather than wait for their timeout.
    if (this.client.status !== 'ready' && (this.closedSinceReady || !this.everReady)) this.down = true;
  };

  /** The stall probe's PING went unanswered within the command timeout: the server is up but does not answer. */
  private readonly onStalled = () => {
    if (this.closed || this.lost) return;
    this.lost = true;
    this.logger.warn(
      `Redis at ${this.endpoint} is not answering (no reply within ${this.options.commandTimeoutMs} ms); ` +
        'calls time out until it answers',
    );
  };

  private readonly onAnswered = () => {
    if (!this.closed && this.isReady) this.recovered();
  };

  private recovered(): void {
    if (!this.lost) return;
    this.lost = false;
    this.logger.log(`Connection to Redis at ${this.endpoint} recovered`);
  }
}
