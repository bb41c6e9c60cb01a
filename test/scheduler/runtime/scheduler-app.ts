import type { LoggerService, Provider, Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { afterEach } from 'node:test';
import {
  DistributedScheduleModule,
  DistributedScheduleModuleOptions,
  DistributedSchedulerService,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../../lib';
import { silentLogger } from '../../harness/capturing-logger';
import type { RedisServer } from '../../harness/redis-server';
import { useRedisServer } from '../../harness/redis-server-fixture';

export interface SchedulerAppOptions {
  redis: StatefulRedisModuleOptions;
  scheduler?: DistributedScheduleModuleOptions;
  providers?: Array<Provider | Type>;
  logger?: LoggerService;
}

/** A testing app with StatefulRedisModule.forRoot and DistributedScheduleModule.forRoot side by side (no isGlobal). */
export async function startSchedulerApp(
  options: SchedulerAppOptions,
): Promise<{ app: TestingModule; scheduler: DistributedSchedulerService }> {
  const app = await Test.createTestingModule({
    imports: [StatefulRedisModule.forRoot(options.redis), DistributedScheduleModule.forRoot(options.scheduler ?? {})],
    providers: options.providers ?? [],
  })
    .setLogger(options.logger ?? silentLogger)
    .compile();
  await app.init();
  return { app, scheduler: app.get(DistributedSchedulerService) };
}

/** The spec file's Redis server, and the app a test starts (set `app`), closed after each test. */
export function useServerWithAppPerTest(): { server: RedisServer; app?: TestingModule } {
  const fixture = {} as { server: RedisServer; app?: TestingModule };
  useRedisServer((started) => (fixture.server = started));
  afterEach(async () => {
    await fixture.app?.close();
    fixture.app = undefined;
  });
  return fixture;
}
