import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulRedisModule } from 'nestjs-stateful-redis';

@Module({
  imports: [
    TerminusModule,
    StatefulRedisModule.forRootAsync({
      imports: [ConfigModule.forRoot()],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ redis: config.getOrThrow<string>('REDIS_URL') }),
    }),
  ],
})
export class AppModule {}
