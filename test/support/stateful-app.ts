import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { StatefulExecutorService, StatefulRedisModule, StatefulRedisModuleOptions } from '../../lib';

export interface StatefulApp {
  app: INestApplicationContext;
  service: StatefulExecutorService;
  close(): Promise<void>;
}

/** Boots `StatefulRedisModule.forRoot(options)` in a Nest application context. */
export async function startStatefulApp(options: StatefulRedisModuleOptions): Promise<StatefulApp> {
  const moduleRef = await Test.createTestingModule({ imports: [StatefulRedisModule.forRoot(options)] })
    .setLogger({ log() {}, warn() {}, error() {}, debug() {}, verbose() {}, fatal() {} })
    .compile();
  const app = await moduleRef.init();
  return { app, service: app.get(StatefulExecutorService), close: () => app.close() };
}
