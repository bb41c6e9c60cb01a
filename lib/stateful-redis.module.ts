import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulRedisHealthIndicator } from './core/health/stateful-redis.health';
import { StatefulRedisCoreModule } from './core/stateful-redis-core.module';
import type { StatefulRedisModuleAsyncOptions } from './core/interfaces/stateful-redis-module-options.interface';
import { routingProviders } from './routing/routing.providers';
import { StatefulExecutorService } from './routing/stateful-executor.service';
import { STATEFUL_REDIS_OPTIONS_TYPE, StatefulRedisConfigurableModule } from './core/stateful-redis.module-definition';

/**
 * `StatefulRedisModule.forRoot(options)` / `.forRootAsync({ imports, inject, useFactory | useClass | useExisting })`,
 * global unless `isGlobal: false`. Sets up the shared core (connection, scripts, pipeline) once for the app and
 * provides the routing feature: `StatefulExecutorService` and `StatefulRedisHealthIndicator`. Re-exports
 * `TerminusModule`, so that a health controller can use `HealthCheckService` without importing it again.
 */
@Module({
  imports: [TerminusModule],
  providers: [...routingProviders, StatefulRedisHealthIndicator],
  exports: [StatefulExecutorService, StatefulRedisHealthIndicator, TerminusModule],
})
export class StatefulRedisModule extends StatefulRedisConfigurableModule {
  static override forRoot(options: typeof STATEFUL_REDIS_OPTIONS_TYPE): DynamicModule {
    return withCore(super.forRoot(options));
  }

  static override forRootAsync(options: StatefulRedisModuleAsyncOptions): DynamicModule {
    return withCore(super.forRootAsync(options));
  }
}

/** Hands the options providers (and the imports they need) to the core module, which this module imports. */
function withCore({ imports, providers, ...definition }: DynamicModule): DynamicModule {
  return { ...definition, imports: [StatefulRedisCoreModule.register({ imports, providers })] };
}
