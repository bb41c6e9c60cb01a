import type { RedisConnection } from './connection/redis-connection';
import { ErrorCode } from './errors/error-code';
import { missingCoreMessage } from './errors/messages';
import { StatefulError } from './errors/stateful.error';
import type { ResolvedStatefulRedisOptions } from './interfaces/stateful-redis-module-options.interface';
import type { OperationMetrics } from './metrics/operation-metrics';
import type { OperationPipeline } from './operations/operation-pipeline';
import type { ScriptRunner } from './scripts/script-runner';

/**
 * What every feature uses of the core that `StatefulRedisModule` sets up once per app (global: no import needed):
 * the connection, the script runner, the operation pipeline, the operation metrics (`null` when off) and the
 * core's options (`keyPrefix`, `metrics`, `commandTimeoutMs`, ...). The one provider the core exports: a feature
 * injects it with `@Optional() @Inject(StatefulRedisCore)` (or `optionalCore` in a factory's `inject`) and takes
 * it through `requireCore`, so that a missing `StatefulRedisModule` stops the app with one message.
 */
export class StatefulRedisCore {
  constructor(
    readonly connection: RedisConnection,
    readonly scripts: ScriptRunner,
    readonly pipeline: OperationPipeline,
    readonly options: ResolvedStatefulRedisOptions,
    readonly metrics: OperationMetrics | null,
  ) {}
}

/** The core as a factory provider's optional dependency: `inject: [optionalCore, ...]`. */
export const optionalCore = { token: StatefulRedisCore, optional: true };

/**
 * The core injected with `@Optional()`, or a NOT_INITIALIZED `StatefulError` naming `owner` (the feature) when the
 * app does not import `StatefulRedisModule`.
 */
export function requireCore(owner: string, core: StatefulRedisCore | null | undefined): StatefulRedisCore {
  if (!core) throw new StatefulError(ErrorCode.NOT_INITIALIZED, missingCoreMessage(owner), { operation: owner });
  return core;
}
