import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { DistributedScheduleModule, StatefulRedisModule } from 'nestjs-stateful-redis';
import { RoomsModule } from './rooms.module.js';

// The README's Quick starts as written (ConfigModule, no isGlobal), with their controller in a feature module.
@Module({
  imports: [
    ConfigModule.forRoot(),
    StatefulRedisModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ redis: config.getOrThrow<string>('REDIS_URL') }),
    }),
    DistributedScheduleModule.forRoot({ namespace: `install-matrix-cjs-${process.pid}` }),
    RoomsModule,
  ],
})
export class AppModule {}
