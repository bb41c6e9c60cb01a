import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulRedisHealthIndicator } from './core/health/stateful-redis.health';
import { StatefulExecutorService } from './routing/stateful-executor.service';
import { ConfigurableModuleClass } from './stateful-redis.module-definition';
import { statefulRedisProviders } from './core/stateful-redis.providers';

/**
 * `StatefulRedisModule.forRoot(options)` / `.forRootAsync({ imports, inject, useFactory | useClass | useExisting })`,
 * both with `isGlobal`. Provides `StatefulExecutorService` and `StatefulRedisHealthIndicator`.
 */
@Module({
  imports: [TerminusModule],
  providers: [...statefulRedisProviders, StatefulExecutorService, StatefulRedisHealthIndicator],
  exports: [StatefulExecutorService, StatefulRedisHealthIndicator],
})
export class StatefulRedisModule extends ConfigurableModuleClass {}
