// Which requests reach the dashboard at all, Express and Fastify alike: host names (allowedHosts, against DNS
// rebinding, and the sample's loopback guard), and paths matched exactly as registered (case, trailing slash,
// percent-encoding, empty segments), before any guard runs; and the security headers on every answer, the
// refusals of each of those layers included.
import { CanActivate, ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalOperatorGuard } from '../../sample/src/dashboard/local-operator.guard';
import { CapturingLogger } from '../harness/capturing-logger';
import { RedisServer } from '../harness/redis-server';
import { DashboardApp, PLATFORMS, startDashboardApp } from './dashboard-app';
import { openSession, postAction, rawRequest } from './dashboard-client';

const PATH = '/ops/dashboard';
const NS = 'hosts';
const ROUTES = ['', '/routing', '/users', '/scheduler', '/task', '/assets/dashboard.js', '/api/routing', '/api/task'];
/** Lets in every request but one that asks to be refused (`x-refuse`). */
const refusingOnAsk = {
  canActivate: (context: ExecutionContext) => context.switchToHttp().getRequest().headers['x-refuse'] === undefined,
};

/** A global guard of the app: it runs before the dashboard's own, and refuses a request that says `x-app-refuse`. */
class AppWideGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-app-refuse'] === undefined;
  }
}

/** The headers of a dashboard answer that are missing or not as every dashboard answer must carry them. */
function missingSecurityHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const expected: Array<[string, RegExp]> = [
    ['content-security-policy', /default-src 'none'.*frame-ancestors 'none'/],
    ['x-frame-options', /^DENY$/],
    ['x-content-type-options', /^nosniff$/],
    ['cache-control', /^(no-store|public, max-age=\d+, immutable|no-cache)$/],
  ];
  return expected
    .filter(([name, value]) => !value.test(String(headers[name] ?? '')))
    .map(([name]) => `${name}=${String(headers[name])}`);
}

/** The body and headers of a drain action, as the dashboard's script sends it from a page of `host`. */
function drainRequest(host: string, session?: { cookie: string; token: string }) {
  const body = JSON.stringify({ namespace: NS, serviceName: 'game', podId: 3, state: 'draining' });
  const headers: Record<string, string> = {
    host,
    origin: `http://${host}`,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (session) Object.assign(headers, { cookie: session.cookie, 'x-csrf-token': session.token });
  return { headers, body };
}

describe('dashboard hosts and paths', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(() => server?.dispose());

  for (const platform of PLATFORMS) {
    describe(`on ${platform}`, () => {
      let app: DashboardApp;
      let port: string;
      const logger = new CapturingLogger();

      before(async () => {
        app = await startDashboardApp({
          redisUrl: server.url,
          platform,
          logger,
          scheduler: false,
          dashboard: { path: PATH, readOnly: false, guard: refusingOnAsk, allowedHosts: ['127.0.0.1', 'Ops.Example'] },
          providers: [{ provide: APP_GUARD, useClass: AppWideGuard }],
        });
        port = new URL(app.origin).port;
        await app.routing.setServiceState(NS, 'game', 3, 'running');
      });

      after(() => app?.close());

      it('answers 421 on every route to a host name not in allowedHosts, X-Forwarded-Host included', async () => {
        const rebound = `attacker.example:${port}`;
        for (const route of ROUTES) {
          const response = await rawRequest(app.origin, 'GET', `${PATH}${route}`, { host: rebound });
          assert.equal(response.status, 421, `${route}: ${response.body}`);
          assert.match(response.body, /does not answer to this host name/);
          assert.doesNotMatch(response.body, /sf-dashboard-csrf/);
        }
        // Even with a token and cookie of a page of the real host, an action sent to another name is refused.
        const session = await openSession(`${app.origin}${PATH}/routing`);
        const drain = drainRequest(rebound, session);
        const action = await rawRequest(
          app.origin,
          'POST',
          `${PATH}/api/actions/set-pod-state`,
          drain.headers,
          drain.body,
        );
        assert.equal(action.status, 421, action.body);
        assert.equal((await app.routing.getServiceState(NS, 'game'))[3], 'running', 'nothing changed');

        const forwarded = async (value: string) =>
          (
            await rawRequest(app.origin, 'GET', `${PATH}/api/routing`, {
              host: `127.0.0.1:${port}`,
              'x-forwarded-host': value,
            })
          ).status;
        assert.equal(await forwarded('attacker.example'), 421);
        assert.equal(await forwarded('ops.example, attacker.example'), 421, 'every forwarded name must be allowed');
        assert.equal(await forwarded('ops.example:443'), 200, 'a listed name without a port: any port');
        for (const host of [`127.0.0.1:${port}`, 'OPS.example', `ops.example:${port}`])
          assert.equal((await rawRequest(app.origin, 'GET', `${PATH}/api/routing`, { host })).status, 200, host);
        assert.equal(
          (await rawRequest(app.origin, 'GET', `${PATH}/api/routing`, { host: 'ops.example.evil' })).status,
          421,
        );
        assert.equal(logger.find('log', /set allowedHosts/).length, 0, 'no advice when allowedHosts is set');
      });

      it('serves a path only exactly as registered: case, trailing slash, percent-encoding, empty segments', async () => {
        const host = `127.0.0.1:${port}`;
        const cases: Array<[string, string, number]> = [
          ['GET', `${PATH}/api/routing`, 200],
          ['GET', `${PATH}/api/routing?namespace=${NS}`, 200],
          ['GET', `${PATH}/routing`, 200],
          ['GET', `${PATH}/assets/dashboard.js`, 200],
          ['GET', PATH, 302],
          ['GET', `${PATH}?x=1`, 302],
          ['GET', '/OPS/Dashboard/api/routing', 404],
          ['GET', `${PATH}/Routing`, 404],
          ['GET', `${PATH}/%61pi/routing`, 404],
          ['GET', `${PATH}/%72outing`, 404],
          ['GET', `${PATH}/assets/dashboard%2Ejs`, 404],
          ['GET', '/ops//dashboard/api/routing', 404],
          ['GET', `${PATH}/routing/`, 404],
          ['GET', `${PATH}/api/routing/`, 404],
          ['GET', `${PATH}/`, 404],
          ['GET', `${PATH}/routing/assets/dashboard.js`, 404],
          ['POST', `${PATH}/api/actions/set-pod-state/`, 404],
          ['POST', `${PATH}/API/actions/set-pod-state`, 404],
        ];
        for (const [method, path, status] of cases) {
          const response =
            method === 'GET'
              ? await rawRequest(app.origin, method, path, { host })
              : await rawRequest(
                  app.origin,
                  method,
                  path,
                  { ...drainRequest(host).headers, 'content-length': '2' },
                  '{}',
                );
          assert.equal(response.status, status, `${method} ${path}: ${response.body.slice(0, 200)}`);
        }
        const home = await rawRequest(app.origin, 'GET', PATH, { host });
        assert.equal(home.headers.location, 'dashboard/routing');
      });

      it('carries the security headers on every answer, refusals of every layer included', async () => {
        const host = `127.0.0.1:${port}`;
        const drain = drainRequest(host);
        const cases: Array<[string, number, string, string, Record<string, string>, string?]> = [
          ['page', 200, 'GET', `${PATH}/routing`, {}],
          ['JSON view', 200, 'GET', `${PATH}/api/routing`, {}],
          ['redirect to the first page', 302, 'GET', PATH, {}],
          ['the configured guard refuses', 403, 'GET', `${PATH}/routing`, { 'x-refuse': 'yes' }],
          ["the app's global guard refuses", 403, 'GET', `${PATH}/api/routing`, { 'x-app-refuse': 'yes' }],
          ['path not exact: trailing slash', 404, 'GET', `${PATH}/routing/`, {}],
          ['no such page', 404, 'GET', `${PATH}/nope`, {}],
          ['no such asset', 404, 'GET', `${PATH}/assets/nope.js`, {}],
          ['OPTIONS', 404, 'OPTIONS', `${PATH}/api/routing`, {}],
          ['host not allowed', 421, 'GET', `${PATH}/api/routing`, { host: `attacker.example:${port}` }],
          ['action without a token', 403, 'POST', `${PATH}/api/actions/set-pod-state`, drain.headers, drain.body],
        ];
        for (const [label, status, method, path, headers, body] of cases) {
          const response = await rawRequest(app.origin, method, path, { host, ...headers }, body);
          assert.equal(response.status, status, `${label}: ${response.body.slice(0, 200)}`);
          assert.deepEqual(missingSecurityHeaders(response.headers), [], label);
        }
        const session = await openSession(`${app.origin}${PATH}/routing`);
        const badInput = await rawRequest(
          app.origin,
          'POST',
          `${PATH}/api/actions/set-pod-state`,
          { ...drain.headers, cookie: session.cookie, 'x-csrf-token': session.token, 'content-length': '2' },
          '{}',
        );
        assert.equal(badInput.status, 400, badInput.body);
        assert.deepEqual(missingSecurityHeaders(badInput.headers), [], 'bad input');
      });

      it('lets the sample guard through only a loopback Host, so that a page rebound to 127.0.0.1 reads nothing', async () => {
        // Read-only, without allowedHosts: the guard's own Host check is all that stands in the way.
        const local = await startDashboardApp({
          redisUrl: server.url,
          platform,
          logger,
          scheduler: false,
          dashboard: { path: '/ops', guard: LocalOperatorGuard },
        });
        try {
          const localPort = new URL(local.origin).port;
          const rebound = `attacker.example:${localPort}`;
          for (const path of ['/ops/routing', '/ops/api/routing', '/ops/assets/dashboard.js'])
            assert.equal((await rawRequest(local.origin, 'GET', path, { host: rebound })).status, 403, path);
          for (const host of [`localhost:${localPort}`, `127.0.0.1:${localPort}`, `[::1]:${localPort}`, 'localhost'])
            assert.equal((await rawRequest(local.origin, 'GET', '/ops/api/routing', { host })).status, 200, host);
          const proxies: Array<Record<string, string>> = [
            { 'x-forwarded-host': 'localhost' },
            { 'x-forwarded-for': '10.0.0.1' },
          ];
          for (const proxied of proxies)
            assert.equal(
              (await rawRequest(local.origin, 'GET', '/ops/api/routing', { host: 'localhost', ...proxied })).status,
              403,
              JSON.stringify(proxied),
            );
          assert.equal(logger.find('log', /set allowedHosts to the names operators use/).length, 1);
        } finally {
          await local.close();
        }
      });

      it("acts from a local page, and refuses a rebound page's action, as the sample registers it", async () => {
        const sample = await startDashboardApp({
          redisUrl: server.url,
          platform,
          scheduler: false,
          dashboard: {
            path: '/ops',
            readOnly: false,
            guard: LocalOperatorGuard,
            allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
          },
        });
        try {
          const rebound = `attacker.example:${new URL(sample.origin).port}`;
          const session = await openSession(`${sample.origin}/ops/routing`);
          const drain = drainRequest(rebound, session);
          const action = await rawRequest(
            sample.origin,
            'POST',
            '/ops/api/actions/set-pod-state',
            drain.headers,
            drain.body,
          );
          assert.equal(action.status, 421, action.body);
          assert.equal((await sample.routing.getServiceState(NS, 'game'))[3], 'running', 'nothing changed');
          const fromLocalPage = await postAction(
            `${sample.origin}/ops`,
            'set-pod-state',
            { namespace: NS, serviceName: 'game', podId: 3, state: 'running' },
            { session },
          );
          assert.equal(fromLocalPage.status, 200, JSON.stringify(fromLocalPage.body));
        } finally {
          await sample.close();
        }
      });
    });
  }
});
