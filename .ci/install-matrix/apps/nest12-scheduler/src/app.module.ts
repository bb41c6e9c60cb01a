import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DistributedScheduleModule, StatefulRedisModule } from 'nestjs-stateful-redis';
import { historyLength, redisUrl, schedulerNamespace } from './scheduler-env.js';

/**
 * The orchestrator's own app (main.ts): routing for the shared smoke check, and a scheduler of the soak's
 * namespace that registers no workflow, so it claims nothing and only reads the run history.
 */
@Module({
  imports: [
    TerminusModule,
    StatefulRedisModule.forRootAsync({
      isGlobal: true,
      useFactory: async () => ({ redis: redisUrl(), routableStates: ['running'] }),
    }),
    DistributedScheduleModule.forRootAsync({
      useFactory: () => ({ namespace: schedulerNamespace(), instanceId: 'observer', historyLength: historyLength() }),
    }),
  ],
})
export class AppModule {}
