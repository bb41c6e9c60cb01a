import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ConnectionLifecycle } from '../connection/connection.lifecycle';
import { RedisConnection } from '../connection/redis-connection';
import { withDeadline } from '../connection/with-deadline';
import { ErrorCode } from '../errors/error-code';
import { toStatefulError } from '../errors/redis-error.mapper';
import { StatefulError } from '../errors/stateful.error';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';
import { OperationMetrics } from '../metrics/operation-metrics';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from '../stateful-redis.constants';

export type OperationInputs = Record<string, unknown>;

/** `send` of one feature: its operations are counted and logged under its name. */
export type FeatureSend = <T>(
  operation: string,
  inputs: OperationInputs,
  command: () => Promise<T>,
  roundTrips?: number,
) => Promise<T>;

function formatInputs(inputs: OperationInputs): string {
  return Object.entries(inputs)
    .map(([name, value]) => `${name}=${Array.isArray(value) ? `[${value.length} items]` : JSON.stringify(value)}`)
    .join(', ');
}

/**
 * The one way every feature's operation reaches Redis: refuses before init and after shutdown, fails fast while
 * the connection is known down, bounds the wait (a timeout has the connection check that Redis still answers),
 * maps failures to `StatefulError`s naming the operation and its inputs, counts and logs if asked.
 */
@Injectable()
export class OperationPipeline {
  private readonly logger = new Logger('StatefulRedis');

  constructor(
    @Inject(STATEFUL_REDIS_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulRedisOptions,
    private readonly connection: RedisConnection,
    private readonly lifecycle: ConnectionLifecycle,
    @Inject(OperationMetrics) private readonly metrics: OperationMetrics | null,
  ) {}

  /** Whether operations are accepted: after init, before shutdown. */
  get ready(): boolean {
    return this.lifecycle.state === 'ready';
  }

  /** The `send` of a feature (`routing`, `scheduler`, ...). */
  forFeature(feature: string): FeatureSend {
    return (operation, inputs, command, roundTrips = 1) => this.send(feature, operation, inputs, command, roundTrips);
  }

  /** Sends one operation's commands: refuses before init, bounds the wait, maps failures, counts and logs if asked. */
  async send<T>(
    feature: string,
    operation: string,
    inputs: OperationInputs,
    command: () => Promise<T>,
    roundTrips = 1,
  ): Promise<T> {
    const metrics = this.metrics;
    const state = this.lifecycle.state;
    if (state !== 'ready') {
      metrics?.failed(feature, operation, ErrorCode.NOT_INITIALIZED);
      throw new StatefulError(
        ErrorCode.NOT_INITIALIZED,
        `${operation}: StatefulRedisModule is ${state === 'created' ? 'not initialized yet' : 'shut down'}`,
        { operation },
      );
    }
    const downReason = this.connection.downReason;
    if (downReason !== undefined) {
      metrics?.failed(feature, operation, ErrorCode.REDIS_CONNECTION_ERROR);
      throw new StatefulError(
        ErrorCode.REDIS_CONNECTION_ERROR,
        `${operation}(${formatInputs(inputs)}) failed: ${downReason}; failing fast until it is back`,
        { operation },
      );
    }
    const timed = metrics !== null || this.options.logOperations;
    const started = timed ? performance.now() : 0;
    try {
      const reply = await (this.connection.needsCallDeadline
        ? withDeadline(command(), this.options.commandTimeoutMs * roundTrips)
        : command());
      const elapsedMs = timed ? performance.now() - started : 0;
      metrics?.succeeded(feature, operation, elapsedMs / 1000);
      if (this.options.logOperations) {
        this.logger.debug(
          `${operation}(${formatInputs(inputs)}) -> ${JSON.stringify(reply)} in ${elapsedMs.toFixed(2)} ms`,
        );
      }
      return reply;
    } catch (error) {
      const failure = toStatefulError(error, operation, formatInputs(inputs));
      if (failure.code === ErrorCode.TIMEOUT) this.connection.timedOut();
      metrics?.failed(feature, operation, failure.code, (performance.now() - started) / 1000);
      throw failure;
    }
  }
}
