import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulErrorFilter, StatefulRedisModule } from 'nestjs-stateful-redis';
import { createValidationPipe } from './common/validation.pipe';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { PodsController } from './pods/pods.controller';
import { RoutingController } from './routing/routing.controller';

@Module({
  imports: [
    // Environment variables win over .env (the demo and the tests set REDIS_URL).
    ConfigModule.forRoot({ isGlobal: true, envFilePath: ['.env'] }),
    StatefulRedisModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        redis: config.get<string>('REDIS_URL', 'redis://127.0.0.1:6379'),
        keyPrefix: config.get<string>('REDIS_KEY_PREFIX', 'sf'),
      }),
    }),
    TerminusModule,
  ],
  controllers: [PodsController, RoutingController, HealthController, MetricsController],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: StatefulErrorFilter },
  ],
})
export class AppModule {}
