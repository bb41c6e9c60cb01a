import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulRedisModule } from 'nestjs-stateful-redis';

@Module({
  imports: [
    TerminusModule,
    StatefulRedisModule.forRootAsync({
      isGlobal: true,
      useFactory: async () => ({
        redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        routableStates: ['running'],
      }),
    }),
  ],
})
export class AppModule {}
