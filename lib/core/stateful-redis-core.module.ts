import { DynamicModule, Module } from '@nestjs/common';
import { statefulRedisCoreExports, statefulRedisCoreProviders } from './stateful-redis.providers';

/**
 * The core every feature shares, set up once per app by `StatefulRedisModule.forRoot/forRootAsync`: options,
 * the connection and its lifecycle, the script runner, the operation pipeline, metrics. Global, so that a
 * feature module imported beside `StatefulRedisModule` (the scheduler) injects the same connection and
 * registers its scripts with the same runner, without configuring Redis again and without `isGlobal`.
 */
@Module({})
export class StatefulRedisCoreModule {
  /** `options`: the providers (and their imports) that ConfigurableModuleBuilder made for the module options. */
  static register(options: Pick<DynamicModule, 'imports' | 'providers'>): DynamicModule {
    return {
      module: StatefulRedisCoreModule,
      global: true,
      imports: options.imports ?? [],
      providers: [...(options.providers ?? []), ...statefulRedisCoreProviders],
      exports: statefulRedisCoreExports,
    };
  }
}
