import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { registerSecrets } from '../errors/credential-scrubber';
import { ErrorCode } from '../errors/error-code';
import { StatefulError } from '../errors/stateful.error';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';
import { connectionPasswords } from './connection-passwords';
import { createOwnedClient } from './redis-client.factory';
import { describeEndpoint } from './redis-endpoint';

export type RedisClient = Redis | Cluster;

const AUTHENTICATION_FAILURE = /^(WRONGPASS|NOAUTH|NOPERM|ERR invalid password|ERR AUTH)/;

/**
 * The module's Redis connection: created and closed here when the module owns it, borrowed
 * otherwise. Logs a warning when it is lost and when it is back, and tells listeners when it
 * is ready again (to reload the scripts into a Redis that restarted empty).
 */
export class RedisConnection {
  readonly client: RedisClient;
  readonly owned: boolean;
  readonly endpoint: string;
  private readonly logger = new Logger('StatefulRedis');
  private readonly readyListeners: Array<() => void> = [];
  private everReady = false;
  private lost = false;
  private closed = false;
  private lastError?: Error;
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
  }

  get isReady(): boolean {
    return this.client.status === 'ready';
  }

  /** Whether calls need the library's own deadline: ioredis's `commandTimeout` covers only owned single-node clients. */
  get needsCallDeadline(): boolean {
    return !this.owned || this.client.isCluster;
  }

  onReadyAgain(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Connects and waits until Redis answers, at most `connectTimeoutMs`. */
  async open(): Promise<void> {
    if (this.isReady) return;
    if (this.client.status === 'wait') this.client.connect().catch(() => undefined); // failures arrive as 'error' events
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
  }

  /** Closes an owned connection (a borrowed one is left open) and stops listening to it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
    this.everReady = true;
    if (this.lost) {
      this.lost = false;
      this.logger.warn(`Connection to Redis at ${this.endpoint} recovered`);
    }
    for (const listener of this.readyListeners) listener();
  };

  private readonly onClose = () => {
    if (this.closed || this.lost || !this.everReady) return;
    this.lost = true;
    this.logger.warn(`Connection to Redis at ${this.endpoint} lost; calls fail until it is back`);
  };

  private readonly onError = (error: Error) => {
    // Kept for the startup message; the loss itself is logged once by onClose, not per retry.
    this.lastError = error;
  };
}
