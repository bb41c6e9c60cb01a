// The second wiring: the app already has @liaoliaots/nestjs-redis's RedisModule, and the library borrows its client
// (the library never closes a client it is given; RedisModule closes it on shutdown).
import { RedisModule, RedisService } from '@liaoliaots/nestjs-redis';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulRedisModule } from 'nestjs-stateful-redis';

@Module({
  imports: [
    TerminusModule,
    RedisModule.forRoot({ config: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } }),
    StatefulRedisModule.forRootAsync({
      inject: [RedisService],
      useFactory: (redisService: RedisService) => ({ client: redisService.getOrThrow() }),
    }),
  ],
})
export class AppModule {}
