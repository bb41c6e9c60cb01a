import type { LoggerService, Provider, Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import {
  DistributedScheduleModule,
  DistributedScheduleModuleOptions,
  DistributedSchedulerService,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../../lib';
import { silentLogger } from '../../harness/capturing-logger';

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
