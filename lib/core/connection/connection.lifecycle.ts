import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { scrubText } from '../errors/credential-scrubber';
import { toStatefulError } from '../errors/redis-error.mapper';
import { startupFailure } from '../errors/startup-failure';
import type { ResolvedStatefulRedisOptions } from '../interfaces/stateful-redis-module-options.interface';
import { ScriptRunner } from '../scripts/script-runner';
import { STATEFUL_REDIS_RESOLVED_OPTIONS } from '../stateful-redis.constants';
import { RedisConnection } from './redis-connection';

export type ConnectionState = 'created' | 'ready' | 'shut down';

/**
 * The connection's life in the app, shared by every feature: opens it and waits for Redis (or not, with
 * `lazyConnect`), preloads the scripts every feature registered, reloads them whenever the connection is
 * ready again (a restart or failover empties the script cache), closes it on shutdown if the module owns it.
 * The core module is global, so its hooks run before those of the features on startup and after them on shutdown.
 */
@Injectable()
export class ConnectionLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('StatefulRedis');
  private current: ConnectionState = 'created';

  constructor(
    @Inject(STATEFUL_REDIS_RESOLVED_OPTIONS) private readonly options: ResolvedStatefulRedisOptions,
    private readonly connection: RedisConnection,
    private readonly scripts: ScriptRunner,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  async onModuleInit(): Promise<void> {
    const reloadScripts = () =>
      this.scripts
        .preload()
        .catch((error: Error) => this.logger.warn(`Could not preload the Lua scripts: ${scrubText(error.message)}`));
    if (this.options.lazyConnect) {
      this.connection.onReadyAgain(reloadScripts);
      this.connection
        .open()
        .catch((error: Error) => this.logger.warn(`${error.message}; connecting in the background`));
    } else {
      try {
        await this.connection.open();
      } catch (error) {
        throw startupFailure(this.logger, error);
      }
      try {
        await this.scripts.preload();
      } catch (error) {
        await this.connection.close();
        const failure = toStatefulError(
          error,
          'onModuleInit',
          `endpoint=${this.connection.endpoint}, action=SCRIPT LOAD`,
        );
        throw startupFailure(this.logger, failure);
      }
      this.connection.onReadyAgain(reloadScripts);
    }
    this.current = 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    this.current = 'shut down';
    await this.connection.close();
  }
}
