import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DistributedScheduleModule, StatefulDashboardModule, StatefulRedisModule } from 'nestjs-stateful-redis';
import { RoomsModule } from './rooms.module.js';

@Module({
  imports: [
    TerminusModule,
    // No isGlobal: the services are global by default, RoomsModule's controller injects them.
    StatefulRedisModule.forRootAsync({
      useFactory: async () => ({
        redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        routableStates: ['running'],
      }),
    }),
    DistributedScheduleModule.forRoot({ namespace: `install-matrix-esm-${process.pid}` }),
    RoomsModule,
    // Its controller reads the browser files (dist/browser/ of the installed package) at boot, or refuses to boot.
    StatefulDashboardModule.register({ path: '/ops' }),
  ],
})
export class AppModule {}
