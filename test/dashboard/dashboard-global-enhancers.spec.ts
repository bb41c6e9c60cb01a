// The dashboard inside an app whose global pipe, interceptors and exception filter would change what its routes
// read and answer (the ValidationPipe the NestJS docs recommend, a response-wrapping interceptor,
// ClassSerializerInterceptor, a catch-all filter): every page, asset, JSON view and action answers exactly as in
// an app without them, on Express and on Fastify. The dashboard reads its own request and writes its own response.
import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  ClassSerializerInterceptor,
  ExceptionFilter,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  Provider,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE, HttpAdapterHost } from '@nestjs/core';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { map, type Observable } from 'rxjs';
import { RedisServer } from '../harness/redis-server';
import { DashboardApp, LOCAL, PLATFORMS, startDashboardApp } from './dashboard-app';
import { get, openSession, postAction, rawRequest } from './dashboard-client';
import { NS, registerWorkflows, seedRouting, seedScheduler } from './seed-data';

const PATH = '/ops/dashboard';

/** The common interceptor that wraps every answer of an API: `{ data: ... }`. */
@Injectable()
class WrapInData implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data: unknown) => ({ data })));
  }
}

/** A filter that answers every exception its own way: an app's error envelope. */
@Catch()
class ErrorEnvelope implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(_exception: unknown, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { error: 'enveloped' }, 418);
  }
}

/** The dashboard's configured guard: lets in every request without `x-deny`. */
const DENY_ON_HEADER: CanActivate = {
  canActivate: (context) =>
    context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['x-deny'] === undefined,
};

const GLOBAL_ENHANCERS: Provider[] = [
  {
    provide: APP_PIPE,
    useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  },
  { provide: APP_INTERCEPTOR, useClass: WrapInData },
  { provide: APP_INTERCEPTOR, useClass: ClassSerializerInterceptor },
  { provide: APP_FILTER, useClass: ErrorEnvelope },
];

/** What a browser sees of an answer; times ("12 s ago"), the replica's id and the page's CSRF token differ. */
async function seen(response: Response): Promise<string> {
  const body = (await response.text())
    .replace(/<meta name="sf-dashboard-csrf" content="[^"]+">/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'uuid')
    .replace(/\d+/g, '#');
  const headers = ['content-type', 'cache-control', 'location', 'content-security-policy']
    .map((name) => `${name}: ${response.headers.get(name)}`)
    .join('\n');
  return `${response.status}\n${headers}\n${body}`;
}

describe('dashboard in an app with global pipes, interceptors and filters', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
    const seeder = await startDashboardApp({ redisUrl: server.url, dashboard: { path: PATH } });
    try {
      registerWorkflows(seeder.scheduler!);
      await seedRouting(seeder.routing, server);
      await seedScheduler(seeder.scheduler!);
    } finally {
      await seeder.close();
    }
  });

  after(() => server?.dispose());

  for (const platform of PLATFORMS) {
    describe(`on ${platform}`, () => {
      let plain: DashboardApp;
      let enhanced: DashboardApp;

      before(async () => {
        const dashboard = { path: PATH, readOnly: false, guard: DENY_ON_HEADER, allowedHosts: LOCAL };
        plain = await startDashboardApp({ redisUrl: server.url, platform, dashboard });
        enhanced = await startDashboardApp({ redisUrl: server.url, platform, dashboard, providers: GLOBAL_ENHANCERS });
        registerWorkflows(plain.scheduler!);
        registerWorkflows(enhanced.scheduler!);
      });

      after(async () => {
        await plain?.close();
        await enhanced?.close();
      });

      it('answers every page, asset and JSON view, queries included, as without them', async () => {
        const html = await (await get(`${plain.origin}${PATH}/routing`)).text();
        const assets = [...new Set([...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((match) => match[1]))];
        assert.equal(assets.length, 3, 'the page links its three assets, versioned');
        const paths = [
          '',
          '/routing',
          '/users',
          '/scheduler',
          '/task',
          '/task?id=flaky-sync',
          ...assets.map((asset) => `/${asset}`),
          '/assets/dashboard.js?v=old',
          '/assets/nope.js?v=1',
          `/api/routing`,
          `/api/routing?namespace=${NS}&service=game`,
          `/api/users?namespace=${NS}&uid=alice`,
          `/api/users?namespace=${NS}&uid=a%7Db`,
          '/api/scheduler',
          '/api/task?id=flaky-sync',
          '/api/task?id=nightly-report&extra=ignored',
          '/api/task?id=no-such-task',
        ];
        for (const path of paths) {
          const expected = await seen(await get(`${plain.origin}${PATH}${path}`));
          const actual = await seen(await get(`${enhanced.origin}${PATH}${path}`));
          assert.equal(actual, expected, path);
        }
        const task = await (await get(`${enhanced.origin}${PATH}/api/task?id=flaky-sync`)).json();
        assert.match(JSON.stringify(task), /flaky-sync/, 'the task view read its id');
        assert.doesNotMatch(JSON.stringify(task), /No task with this id/);
      });

      it('runs an action and answers its refusals as without them', async () => {
        const outcomes: string[][] = [];
        for (const app of [plain, enhanced]) {
          const base = `${app.origin}${PATH}`;
          const session = await openSession(`${base}/scheduler`);
          const answers = [
            await postAction(base, 'disable-task', { id: 'legacy-export', extra: 'ignored' }, { session }),
            await postAction(base, 'enable-task', { id: 'no-such-task' }, { session }),
            await postAction(base, 'enable-task', { id: 'legacy-export' }, { origin: null }),
            await postAction(base, 'launch-missiles', {}, { session }),
          ];
          outcomes.push(answers.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`));
        }
        assert.deepEqual(outcomes[1], outcomes[0]);
        assert.match(outcomes[1][0], /^200 .*legacy-export is now disabled/);
      });

      it('answers its own refusals itself: a path not exactly its route, a host not allowed, its guard saying no', async () => {
        const { port } = new URL(plain.origin);
        // Each framework matches a route leniently in its own way: the dashboard refuses both (404).
        const inexact = platform === 'express' ? `${PATH}/Routing` : `${PATH}/%72outing`;
        const refusals: Array<[string, Record<string, string>]> = [
          [inexact, {}],
          [`${PATH}/api/routing`, { host: `attacker.example:${port}` }],
          [`${PATH}/routing`, { 'x-deny': 'yes' }],
        ];
        for (const [path, headers] of refusals) {
          const answers = [];
          for (const app of [plain, enhanced]) {
            const answer = await rawRequest(app.origin, 'GET', path, { host: new URL(app.origin).host, ...headers });
            answers.push(`${answer.status} ${answer.headers['content-type']} ${answer.body}`);
          }
          assert.equal(answers[1], answers[0], `${path} ${JSON.stringify(headers)}`);
          assert.match(answers[1], /^(404|421|403) application\/json/);
        }
      });
    });
  }
});
