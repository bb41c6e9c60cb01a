import { Injectable, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StatefulDashboardModule, StatefulRedisModule, type StatefulRedisModuleOptions } from 'nestjs-stateful-redis';

/** An options factory class: `forRootAsync({ useClass })` calls `createStatefulRedisOptions()`. */
@Injectable()
class StatefulRedisConfig {
  createStatefulRedisOptions(): StatefulRedisModuleOptions {
    const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    // ioredis options object (typed by this app's ioredis 5), not a URL.
    return {
      redis: { host: url.hostname, port: Number(url.port), connectionName: 'nest11-consumer' },
      commandTimeoutMs: 1_000,
    };
  }
}

@Module({
  imports: [
    TerminusModule,
    StatefulRedisModule.forRootAsync({ useClass: StatefulRedisConfig }),
    // Its controller reads the browser files (dist/browser/ of the installed package) at boot, or refuses to boot.
    StatefulDashboardModule.register({ path: '/ops' }),
  ],
})
export class AppModule {}
