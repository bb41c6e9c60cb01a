import type { RedisConnection } from '../../core/connection/redis-connection';
import type { ResolvedStatefulRedisOptions } from '../../core/interfaces/stateful-redis-module-options.interface';
import type { OperationPipeline } from '../../core/operations/operation-pipeline';
import type { ScriptRunner } from '../../core/scripts/script-runner';

/**
 * What the scheduler uses of the shared core that `StatefulRedisModule` sets up (global, so no import needed):
 * the connection, the script runner, the operation pipeline and the core's options (`keyPrefix`, `metrics`,
 * `commandTimeoutMs`). One provider, so that a missing `StatefulRedisModule` stops the app with one clear message.
 */
export class SchedulerCore {
  constructor(
    readonly connection: RedisConnection,
    readonly scripts: ScriptRunner,
    readonly pipeline: OperationPipeline,
    readonly options: ResolvedStatefulRedisOptions,
  ) {}
}
