import type { DynamicModule, INestApplication, LoggerService, Provider } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  DistributedScheduleModule,
  DistributedScheduleModuleOptions,
  DistributedSchedulerService,
  StatefulDashboardModule,
  StatefulDashboardOptions,
  StatefulExecutorService,
  StatefulRedisModule,
  StatefulRedisModuleOptions,
} from '../../lib';
import { silentLogger } from '../harness/capturing-logger';
import { freePort } from '../harness/free-port';

export type Platform = 'express' | 'fastify';

export const PLATFORMS: Platform[] = ['express', 'fastify'];

/** `allowedHosts` of a dashboard the tests reach at `http://127.0.0.1:<port>` (required with actions on). */
export const LOCAL = ['127.0.0.1'];

export interface DashboardAppOptions {
  redisUrl: string;
  platform?: Platform;
  /** `StatefulDashboardModule.register(dashboard)`; default `{ path: '/ops/dashboard' }`. */
  dashboard?: StatefulDashboardOptions;
  /** Another registration (registerAsync, two dashboards): replaces `dashboard`. */
  dashboardModules?: DynamicModule[];
  /** Options of DistributedScheduleModule; `false`: an app without the scheduler. */
  scheduler?: DistributedScheduleModuleOptions | false;
  redis?: Partial<StatefulRedisModuleOptions>;
  imports?: DynamicModule[];
  providers?: Provider[];
  logger?: LoggerService;
  /** `app.setGlobalPrefix(globalPrefix)`. */
  globalPrefix?: string;
  /** The app trusts its proxy on loopback: Express's `trust proxy`, Fastify's `trustProxy`. */
  trustProxy?: boolean;
}

export interface DashboardApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  routing: StatefulExecutorService;
  scheduler: DistributedSchedulerService | null;
  close(): Promise<void>;
}

/** A Nest app (Express or Fastify) listening on a free loopback port, with the dashboard and the library's modules. */
export async function startDashboardApp(options: DashboardAppOptions): Promise<DashboardApp> {
  const scheduler =
    options.scheduler === false ? [] : [DistributedScheduleModule.forRoot(options.scheduler ?? { namespace: 'ops' })];
  const dashboards = options.dashboardModules ?? [
    StatefulDashboardModule.register(options.dashboard ?? { path: '/ops/dashboard' }),
  ];
  const moduleRef = await Test.createTestingModule({
    imports: [
      StatefulRedisModule.forRoot({ redis: options.redisUrl, podLiveness: { timeoutMs: 60_000 }, ...options.redis }),
      ...scheduler,
      ...(options.imports ?? []),
      ...dashboards,
    ],
    providers: options.providers ?? [],
  })
    .setLogger(options.logger ?? silentLogger)
    .compile();
  const app =
    options.platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter({ trustProxy: options.trustProxy ? 'loopback' : false }))
      : moduleRef.createNestApplication<NestExpressApplication>();
  if (options.trustProxy && options.platform !== 'fastify')
    (app as NestExpressApplication).set('trust proxy', 'loopback');
  app.useLogger(options.logger ?? silentLogger);
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  const port = await freePort();
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  let schedulerService: DistributedSchedulerService | null;
  try {
    schedulerService = app.get(DistributedSchedulerService, { strict: false });
  } catch {
    schedulerService = null; // an app without DistributedScheduleModule
  }
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    routing: app.get(StatefulExecutorService, { strict: false }),
    scheduler: schedulerService,
    close: () => app.close(),
  };
}
