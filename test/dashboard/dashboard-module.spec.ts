// StatefulDashboardModule's registration: options validated at startup (a bad one stops the app naming it),
// registerAsync, the namespaces option, an app without the scheduler or without StatefulRedisModule, a
// global prefix, and the dashboard kept out of the app's OpenAPI document.
import { Module } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, StatefulDashboardModule, StatefulDashboardOptions, StatefulError } from '../../lib';
import { CapturingLogger, silentLogger } from '../harness/capturing-logger';
import { RedisServer } from '../harness/redis-server';
import { LOCAL, startDashboardApp } from './dashboard-app';
import { get, openSession, postAction } from './dashboard-client';

async function startupError(server: RedisServer, dashboard: unknown): Promise<StatefulError> {
  try {
    const app = await startDashboardApp({
      redisUrl: server.url,
      dashboardModules: [StatefulDashboardModule.register(dashboard as StatefulDashboardOptions)],
    });
    await app.close();
  } catch (error) {
    assert.ok(error instanceof StatefulError, String(error));
    return error;
  }
  assert.fail('expected the app not to start');
}

describe('StatefulDashboardModule registration', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(() => server?.dispose());

  it('stops the app on a bad option, naming it', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ path: 'no-slash' }, 'path', /"path" must be a path like "\/ops\/dashboard"/],
      [{ path: '/ops/:id' }, 'path', /"path"/],
      [{ path: '/ops dashboard' }, 'path', /"path"/],
      [{ path: '/ops/../admin' }, 'path', /no empty, "\." or "\.\." segment/],
      [{ path: '/ops/./dashboard' }, 'path', /"path"/],
      [{ path: '/ops/..' }, 'path', /"path"/],
      [{ path: '/.' }, 'path', /"path"/],
      [{ path: '/ops//dashboard' }, 'path', /"path"/],
      [{ path: '/ops', allowedHosts: [] }, 'allowedHosts', /"allowedHosts" must be a non-empty array of host names/],
      [{ path: '/ops', allowedHosts: 'localhost' }, 'allowedHosts', /"allowedHosts"/],
      [{ path: '/ops', allowedHosts: ['localhost', 3000] }, 'allowedHosts', /"allowedHosts"/],
      [{ path: '/ops', allowedHosts: ['http://ops.example'] }, 'allowedHosts', /"allowedHosts"/],
      [{ path: '/ops', allowedHosts: ['ops.example:99999'] }, 'allowedHosts', /"allowedHosts"/],
      [{ path: '/ops', allowedHosts: ['ops.example/x'] }, 'allowedHosts', /"allowedHosts"/],
      [{ path: '/ops', readOnly: 'no' }, 'readOnly', /"readOnly" must be a boolean/],
      [{ path: '/ops', readOnly: false }, 'guard', /"guard" is required with readOnly: false/],
      [
        { path: '/ops', readOnly: false, guard: { canActivate: () => true } },
        'allowedHosts',
        /"allowedHosts" is required with readOnly: false .*DNS rebinding/,
      ],
      [{ path: '/ops', guard: { allow: true } }, 'guard', /"guard" must be a CanActivate/],
      [{ path: '/ops', redact: /secret/ }, 'redact', /"redact" must be a function \(text: string\) => string/],
      [{ path: '/ops', namespaces: [] }, 'namespaces', /"namespaces" must be a non-empty array/],
      [{ path: '/ops', nameSpaces: ['a'] }, 'nameSpaces', /unknown option "nameSpaces" — did you mean "namespaces"\?/],
      [null, 'options', /"options" must be an object/],
    ];
    for (const [options, field, message] of cases) {
      const error = await startupError(server, options);
      assert.equal(error.code, ErrorCode.INVALID_PARAMETER, JSON.stringify(options));
      assert.equal(error.field, field, error.message);
      assert.match(error.message, message);
    }
    const badNamespace = await startupError(server, { path: '/ops', namespaces: ['a:b'] });
    assert.equal(badNamespace.field, 'namespace');
    assert.match(badNamespace.message, /StatefulDashboardModule options "namespaces"/);
  });

  it('registerAsync takes every option from a factory, path included, and the trailing slash off the path', async () => {
    @Module({ providers: [{ provide: 'DASHBOARD_PATH', useValue: '/from-factory/' }], exports: ['DASHBOARD_PATH'] })
    class ConfigModule {}
    const app = await startDashboardApp({
      redisUrl: server.url,
      dashboardModules: [
        StatefulDashboardModule.registerAsync({
          imports: [ConfigModule],
          inject: ['DASHBOARD_PATH'],
          useFactory: async (path: string) => ({ path, namespaces: ['shown'] }),
        }),
      ],
    });
    try {
      await app.routing.setServiceState('shown', 'game', 0, 'running');
      await app.routing.setServiceState('hidden', 'game', 0, 'running');
      const home = await get(`${app.origin}/from-factory`);
      assert.equal(home.status, 302);
      assert.equal(
        new URL(home.headers.get('location')!, `${app.origin}/from-factory`).pathname,
        '/from-factory/routing',
      );
      assert.equal((await get(`${app.origin}/from-factory/`)).status, 404, 'served at the path without the slash');
      const view = JSON.stringify(await (await get(`${app.origin}/from-factory/api/routing`)).json());
      assert.match(view, /"shown"/);
      assert.doesNotMatch(view, /"hidden"/);
      const hidden = JSON.stringify(
        await (await get(`${app.origin}/from-factory/api/routing?namespace=hidden&service=game`)).json(),
      );
      assert.match(hidden, /This namespace is not shown by this dashboard/);
      assert.doesNotMatch(hidden, /"hidden"/);
      const lookup = JSON.stringify(
        await (await get(`${app.origin}/from-factory/api/users?namespace=hidden&uid=a`)).json(),
      );
      assert.match(lookup, /This namespace is not shown by this dashboard/);
    } finally {
      await app.close();
    }
  });

  it('refuses actions on a namespace it does not show', async () => {
    const app = await startDashboardApp({
      redisUrl: server.url,
      dashboard: {
        path: '/ops',
        namespaces: ['shown'],
        readOnly: false,
        guard: { canActivate: () => true },
        allowedHosts: LOCAL,
      },
    });
    try {
      await app.routing.setServiceState('hidden', 'game', 0, 'running');
      const session = await openSession(`${app.origin}/ops/routing`);
      const refused = await postAction(
        `${app.origin}/ops`,
        'set-pod-state',
        { namespace: 'hidden', serviceName: 'game', podId: 0, state: 'draining' },
        { session },
      );
      assert.equal(refused.status, 403);
      assert.equal((await app.routing.getServiceState('hidden', 'game'))[0], 'running');
    } finally {
      await app.close();
    }
  });

  it('works without the scheduler: its pages say so, its actions are refused', async () => {
    const app = await startDashboardApp({
      redisUrl: server.url,
      scheduler: false,
      dashboard: { path: '/ops', readOnly: false, guard: { canActivate: () => true }, allowedHosts: LOCAL },
    });
    try {
      for (const api of ['api/scheduler', 'api/task?id=x'])
        assert.match(
          JSON.stringify(await (await get(`${app.origin}/ops/${api}`)).json()),
          /This application has no scheduler/,
        );
      const session = await openSession(`${app.origin}/ops/scheduler`);
      const refused = await postAction(`${app.origin}/ops`, 'trigger-task', { id: 'x' }, { session });
      assert.equal(refused.status, 404);
      assert.match(refused.body.message, /no scheduler/);
    } finally {
      await app.close();
    }
  });

  it('stops the app when StatefulRedisModule is missing, saying what to import', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [StatefulDashboardModule.register({ path: '/ops' })] })
      .setLogger(silentLogger)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await assert.rejects(app.init(), (error: StatefulError) => {
      assert.equal(error.code, ErrorCode.NOT_INITIALIZED);
      assert.match(error.message, /add StatefulRedisModule.forRoot/);
      return true;
    });
    await app.close().catch(() => undefined);
  });

  it('lives under the global prefix, and stays out of the OpenAPI document', async () => {
    const app = await startDashboardApp({ redisUrl: server.url, globalPrefix: 'api', dashboard: { path: '/ops' } });
    try {
      assert.equal((await get(`${app.origin}/api/ops/routing`)).status, 200);
      assert.equal((await get(`${app.origin}/api/ops/api/scheduler`)).status, 200);
      assert.equal((await get(`${app.origin}/API/ops/routing`)).status, 404, 'the prefix too, letter for letter');
      const unrouted = await get(`${app.origin}/api/ops/routing/`);
      assert.equal(unrouted.status, 404);
      assert.equal(unrouted.headers.get('x-frame-options'), 'DENY', 'the security headers under the prefix too');
      const outside = await get(`${app.origin}/ops/routing`);
      assert.equal(outside.headers.get('x-frame-options'), null, "the rest of the app's answers are left alone");
      const document = SwaggerModule.createDocument(app.app, new DocumentBuilder().build());
      assert.deepEqual(
        Object.keys(document.paths).filter((path) => path.includes('ops')),
        [],
      );
    } finally {
      await app.close();
    }
  });

  it('answers 503 with a generic message when Redis is gone, and says why in the log only', async () => {
    const own = await RedisServer.start();
    const logger = new CapturingLogger();
    const app = await startDashboardApp({
      redisUrl: own.url,
      logger,
      redis: { connectTimeoutMs: 500, commandTimeoutMs: 500 },
      dashboard: { path: '/ops/dashboard', readOnly: false, guard: { canActivate: () => true }, allowedHosts: LOCAL },
    });
    try {
      await own.dispose();
      const page = await get(`${app.origin}/ops/dashboard/routing`);
      assert.equal(page.status, 200, 'the page still shows');
      assert.doesNotMatch(await page.text(), /sf-dashboard-csrf/, 'without a token: its actions are refused');
      assert.equal(logger.find('warn', /No CSRF token for a dashboard page/).length, 1);
      const response = await get(`${app.origin}/ops/dashboard/api/scheduler`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as { message: string };
      assert.match(body.message, /Redis could not answer; the application log says why/);
      assert.doesNotMatch(body.message, /127\.0\.0\.1/);
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});

describe('StatefulDashboardOptions: the type refuses what startup refuses', () => {
  it('readOnly: false without a guard or allowedHosts does not compile (the build of this file checks it)', () => {
    const guard = { canActivate: () => true };
    // @ts-expect-error readOnly: false needs a guard (and allowedHosts)
    const noGuard: StatefulDashboardOptions = { path: '/ops', readOnly: false, allowedHosts: LOCAL };
    // @ts-expect-error readOnly: false needs allowedHosts
    const noHosts: StatefulDashboardOptions = { path: '/ops', readOnly: false, guard };
    const writable: StatefulDashboardOptions = { path: '/ops', readOnly: false, guard, allowedHosts: LOCAL };
    const readOnly: StatefulDashboardOptions[] = [{ path: '/ops' }, { path: '/ops', readOnly: true, guard }];
    const fromConfig = (flag: boolean): StatefulDashboardOptions => ({
      path: '/ops',
      readOnly: flag,
      guard,
      allowedHosts: LOCAL,
    });
    assert.equal([noGuard, noHosts, writable, ...readOnly, fromConfig(false)].length, 6);
  });
});
