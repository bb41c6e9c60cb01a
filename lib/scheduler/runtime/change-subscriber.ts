import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { scrubText } from '../../core/errors/credential-scrubber';

/** A failed subscription is tried again at most this often (the loop polls meanwhile). */
const RETRY_INTERVAL_MS = 10_000;

/** Hears one change of the task set: its event (`saved`, `removed`, `triggered`, ...) and the task's id. */
export type TaskSetChangeListener = (event: string, taskId: string) => void;

/**
 * Listens to the store's `changed` channel on a connection of its own (a subscribed connection can send
 * nothing else): `SUBSCRIBE` on a duplicate of a standalone client; on a cluster `SSUBSCRIBE` through a
 * duplicate cluster client with sharded subscribers (ioredis sends it to the node owning the channel's slot,
 * and follows that slot when it moves). Once subscribed, ioredis resubscribes after every reconnect. If
 * subscribing fails the replica still works, waking every poll, and tries again later. A message is
 * `<event>|<task id>` (an id may hold `|` itself).
 */
export class ChangeSubscriber {
  private readonly logger = new Logger('DistributedScheduler');
  private readonly listeners: TaskSetChangeListener[] = [];
  /** `performance.now()` of the last change heard. */
  private lastHeardAt = -Infinity;
  private subscriber?: Redis | Cluster;
  private attempt?: Promise<void>;
  private lastAttemptAt = -Infinity;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly channel: string,
  ) {}

  /** Whether messages of the channel arrive. */
  get subscribed(): boolean {
    return this.subscriber !== undefined && this.attempt === undefined;
  }

  /** `performance.now()` when the last change was heard; `-Infinity` before the first. */
  get lastChangeAt(): number {
    return this.lastHeardAt;
  }

  /** Calls `listener` with every change heard. */
  onChange(listener: TaskSetChangeListener): void {
    this.listeners.push(listener);
  }

  /** Subscribes unless subscribed, subscribing, or a failure is recent; never rejects. */
  ensure(): Promise<void> {
    if (this.closed || this.subscriber !== undefined) return this.attempt ?? Promise.resolve();
    if (performance.now() - this.lastAttemptAt < RETRY_INTERVAL_MS) return Promise.resolve();
    this.lastAttemptAt = performance.now();
    this.attempt = this.subscribe().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  close(): void {
    this.closed = true;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private async subscribe(): Promise<void> {
    const cluster = this.client.isCluster;
    const subscriber = cluster
      ? (this.client as Cluster).duplicate([], { shardedSubscribers: true, lazyConnect: false })
      : (this.client as Redis).duplicate({ lazyConnect: false });
    this.subscriber = subscriber;
    // Errors arrive while reconnecting too: the loop's own calls tell whether Redis is reachable.
    subscriber.on('error', () => undefined);
    subscriber.on(cluster ? 'smessage' : 'message', this.received);
    try {
      if (cluster) await subscriber.ssubscribe(this.channel);
      else await subscriber.subscribe(this.channel);
      this.failures = 0;
      if (this.closed) subscriber.disconnect();
    } catch (error) {
      subscriber.disconnect();
      this.subscriber = undefined;
      if (this.closed) return;
      const message =
        `Could not subscribe to ${this.channel} (${scrubText((error as Error).message)}); ` +
        'changes of the task set are seen at the next poll instead of at once';
      if (this.failures++ === 0) this.logger.warn(message);
      else this.logger.debug(message);
    }
  }

  private readonly received = (channel: string, message: string) => {
    if (channel !== this.channel) return;
    this.lastHeardAt = performance.now();
    const separator = message.indexOf('|');
    const event = separator === -1 ? message : message.slice(0, separator);
    const taskId = separator === -1 ? '' : message.slice(separator + 1);
    for (const listener of this.listeners) listener(event, taskId);
  };
}
