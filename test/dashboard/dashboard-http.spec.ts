// The dashboard over HTTP, on a real redis-server and a real Nest app listening on a free port, Express and
// Fastify alike: pages, assets, JSON views, the security headers, read-only by default, the guard on every
// route, CSRF (Origin and signed double-submit token), escaping, and the actions' effects and logs.
import { CanActivate, ExecutionContext, Injectable, Module } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NO_POD, StatefulDashboardModule } from '../../lib';
import { CapturingLogger } from '../harness/capturing-logger';
import { RedisServer } from '../harness/redis-server';
import { DashboardApp, LOCAL, PLATFORMS, startDashboardApp } from './dashboard-app';
import { get, openSession, postAction } from './dashboard-client';
import { NS, PAYLOAD_SECRET, URL_PASSWORD, XSS, registerWorkflows, seedRouting, seedScheduler } from './seed-data';

const PATH = '/ops/dashboard';
const PAGES = ['routing', 'users', 'scheduler', 'task'];
const TOKEN_HEADER = 'x-dashboard-token';
const TOKEN = 'let-me-in';

/** The sample's kind of guard: a request must carry the operator token header. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return request.headers[TOKEN_HEADER] === TOKEN;
  }
}

const withToken = { [TOKEN_HEADER]: TOKEN };

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

/** Every string of a JSON view, in order: what the page would show. */
function texts(view: unknown): string[] {
  if (typeof view === 'string') return [view];
  if (Array.isArray(view)) return view.flatMap(texts);
  if (typeof view === 'object' && view !== null) return Object.values(view).flatMap(texts);
  return [];
}

describe('dashboard over HTTP', () => {
  let server: RedisServer;
  let seeded: DashboardApp;

  before(async () => {
    server = await RedisServer.start();
    // One app seeds the data every other app of this file reads (same Redis, scheduler namespace "ops"). Its
    // dashboard lets everyone in, through a guard: payloads and run errors show only behind one.
    seeded = await startDashboardApp({
      redisUrl: server.url,
      dashboard: { path: PATH, guard: { canActivate: () => true } },
    });
    registerWorkflows(seeded.scheduler!);
    await seedRouting(seeded.routing, server);
    await seedScheduler(seeded.scheduler!);
  });

  after(async () => {
    await seeded?.close();
    await server?.dispose();
  });

  for (const platform of PLATFORMS) {
    describe(`on ${platform}`, () => {
      let app: DashboardApp;
      let base: string;
      const logger = new CapturingLogger();

      before(async () => {
        app = await startDashboardApp({
          redisUrl: server.url,
          platform,
          logger,
          dashboard: { path: PATH, readOnly: false, guard: TokenGuard, allowedHosts: LOCAL },
          providers: [TokenGuard],
        });
        base = `${app.origin}${PATH}`;
        registerWorkflows(app.scheduler!);
      });

      after(() => app?.close());

      it('redirects its path to the routing page and serves every page with a strict CSP', async () => {
        const home = await get(base, withToken);
        assert.equal(home.status, 302);
        assert.equal(home.headers.get('location'), 'dashboard/routing');
        assert.equal(new URL(home.headers.get('location')!, base).pathname, `${PATH}/routing`);
        for (const page of PAGES) {
          const response = await get(`${base}/${page}`, withToken);
          assert.equal(response.status, 200, page);
          assert.match(response.headers.get('content-type')!, /^text\/html/);
          const csp = response.headers.get('content-security-policy')!;
          assert.match(csp, /default-src 'none'/);
          assert.match(csp, /script-src 'self'(;|$)/);
          assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
          assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
          assert.equal(response.headers.get('x-frame-options'), 'DENY');
          assert.equal(response.headers.get('cache-control'), 'no-store');
          const html = await response.text();
          assert.match(html, new RegExp(`data-api="api/${page}"`));
          assert.doesNotMatch(html, /<script>|<style>|\son[a-z]+=/i, 'no inline script, style or handler');
        }
      });

      it('serves its assets from the package, versioned and typed', async () => {
        const html = await (await get(`${base}/routing`, withToken)).text();
        const urls = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((match) => match[1]);
        assert.deepEqual(
          new Set(urls.map((url) => url.split('?')[0])),
          new Set(['assets/icon.svg', 'assets/dashboard.css', 'assets/dashboard.js']),
        );
        const types: Record<string, RegExp> = {
          'icon.svg': /^image\/svg\+xml/,
          'dashboard.css': /^text\/css/,
          'dashboard.js': /^text\/javascript/,
        };
        for (const url of urls) {
          const response = await get(`${base}/${url}`, withToken);
          assert.equal(response.status, 200, url);
          assert.match(response.headers.get('content-type')!, types[url.slice(7).split('?')[0]]);
          assert.match(response.headers.get('cache-control')!, /immutable/);
          assert.ok((await response.text()).length > 100);
        }
        assert.equal(
          (await get(`${base}/assets/dashboard.js?v=old`, withToken)).headers.get('cache-control'),
          'no-cache',
        );
        assert.equal((await get(`${base}/assets/nope.js`, withToken)).status, 404);
      });

      it('answers the views as JSON: services, pods with liveness, links, tasks, runs', async () => {
        const routing = await json(await get(`${base}/api/routing?namespace=${NS}&service=game`, withToken));
        const routingText = texts(routing);
        for (const expected of [
          'game',
          'chat',
          XSS.service,
          XSS.namespace,
          'rolling-update',
          'draining',
          'silent',
          'live',
        ])
          assert.ok(routingText.includes(expected), `routing view shows ${expected}`);
        const users = await json(await get(`${base}/api/users?namespace=${NS}&uid=alice`, withToken));
        assert.ok(texts(users).includes('persistent'));
        assert.ok(texts(users).some((text) => /^temporary · \d+ min( \d+ s)? left$/.test(text)));
        const scheduler = await json(await get(`${base}/api/scheduler`, withToken));
        for (const expected of ['nightly-report', 'At 02:00', XSS.taskName, '2 / 5', 'disabled'])
          assert.ok(
            texts(scheduler).some((text) => text.includes(expected)),
            `scheduler view shows ${expected}`,
          );
        const unknownService = texts(
          await json(await get(`${base}/api/routing?namespace=${NS}&service=nope`, withToken)),
        );
        assert.ok(unknownService.includes('No pod of this service has reported.'));
        const legacy = texts(await json(await get(`${base}/api/routing?namespace=${NS}&service=legacy`, withToken)));
        for (const expected of ['never (no liveness reports)', 'no state', '4'])
          assert.ok(legacy.includes(expected), `a Java pod and a weight-only pod: ${expected}`);
        const badUid = texts(await json(await get(`${base}/api/users?namespace=${NS}&uid=a%7Db`, withToken)));
        assert.ok(
          badUid.some((text) => /invalid parameter "uid"/.test(text)),
          'a bad uid is a notice naming it',
        );
        const task = await json(await get(`${base}/api/task?id=flaky-sync`, withToken));
        const taskText = texts(task).join('\n');
        assert.match(taskText, /upstream refused: <script>alert\(5\)<\/script>/);
        assert.ok(!taskText.includes(URL_PASSWORD), 'the password of a URL in an error is not shown');
        assert.ok(texts(task).includes('retry') && texts(task).includes('failed'));
      });

      it('refuses an action without a token, from another origin, or with a token of another browser', async () => {
        const session = await openSession(`${base}/routing`, withToken);
        const other = await openSession(`${base}/routing`, withToken);
        assert.notEqual(session.cookie, other.cookie);
        const drain = { namespace: NS, serviceName: 'chat', podId: 0, state: 'draining' };
        const refusals = [
          await postAction(base, 'set-pod-state', drain, { headers: withToken }),
          await postAction(base, 'set-pod-state', drain, {
            headers: withToken,
            session,
            origin: 'https://evil.example',
          }),
          await postAction(base, 'set-pod-state', drain, { headers: withToken, session, origin: null }),
          await postAction(base, 'set-pod-state', drain, {
            headers: withToken,
            session: { ...session, token: other.token },
          }),
          await postAction(base, 'set-pod-state', drain, { headers: withToken, token: session.token }),
          await postAction(base, 'set-pod-state', drain, {
            headers: withToken,
            session: { cookie: 'sf_dashboard_csrf=short', token: session.token },
          }),
        ];
        for (const refusal of refusals) assert.equal(refusal.status, 403, JSON.stringify(refusal.body));
        assert.match(refusals[1].body.message, /does not come from this dashboard/);
        assert.match(refusals[3].body.message, /reload/);
        assert.equal((await app.routing.getServiceState(NS, 'chat'))[0], 'running', 'nothing changed');
        assert.ok(logger.find('warn', /set-pod-state.*refused: not from a page of this host/).length > 0);
        assert.ok(logger.find('warn', /refused: missing or wrong CSRF token/).length > 0);
      });

      it('runs the actions with the page token and logs each one', async () => {
        const session = await openSession(`${base}/routing`, withToken);
        const act = (action: string, args: unknown) => postAction(base, action, args, { session, headers: withToken });
        const drained = await act('set-pod-state', { namespace: NS, serviceName: 'chat', podId: 1, state: 'draining' });
        assert.equal(drained.status, 200, JSON.stringify(drained.body));
        assert.equal(drained.body.message, 'Pod 1 of chat is now draining');
        assert.equal((await app.routing.getServiceState(NS, 'chat'))[1], 'draining');
        assert.ok(
          logger.find(
            'log',
            /Action set-pod-state \{"namespace":"demo","serviceName":"chat","podId":1,"state":"draining"\} from .+: Pod 1 of chat is now draining/,
          ).length > 0,
        );
        await act('set-pod-state', { namespace: NS, serviceName: 'chat', podId: 1, state: 'running' });

        await app.routing.setLinkedPod(NS, `sweep-${platform}-1`, 'sweep', 4, -1);
        await app.routing.setLinkedPod(NS, `sweep-${platform}-2`, 'sweep', 4, 60);
        await app.routing.setLinkedPod(NS, `sweep-${platform}-3`, 'sweep', 5, -1);
        const swept = await act('sweep-pod-links', { namespace: NS, serviceName: 'sweep', podId: 4 });
        assert.equal(swept.body.message, 'Removed 2 links to pod 4 of sweep');
        assert.equal(await app.routing.getLinkedPod(NS, `sweep-${platform}-1`, 'sweep'), NO_POD);
        assert.equal(await app.routing.getLinkedPod(NS, `sweep-${platform}-3`, 'sweep'), 5);

        const scheduler = app.scheduler!;
        const runsBefore = (await scheduler.getTask('cache-warmup'))!.runCount;
        assert.equal((await act('trigger-task', { id: 'cache-warmup' })).status, 200);
        await waitUntil(async () => (await scheduler.getTask('cache-warmup'))!.runCount > runsBefore);
        assert.equal(
          (await act('disable-task', { id: 'cache-warmup' })).body.message,
          'Task cache-warmup is now disabled',
        );
        assert.equal((await scheduler.getTask('cache-warmup'))!.enabled, false);
        assert.equal(
          (await act('enable-task', { id: 'cache-warmup' })).body.message,
          'Task cache-warmup is now enabled',
        );
        assert.equal((await scheduler.getTask('cache-warmup'))!.enabled, true);
        assert.ok(logger.find('log', /Action trigger-task \{"id":"cache-warmup"\}/).length > 0);
      });

      it('answers bad input with the field at fault, and unknown actions and ids with 404', async () => {
        const session = await openSession(`${base}/scheduler`, withToken);
        const act = (action: string, args: unknown) => postAction(base, action, args, { session, headers: withToken });
        const badPod = await act('set-pod-state', { namespace: NS, serviceName: 'chat', podId: '1', state: 'x' });
        assert.equal(badPod.status, 400);
        assert.match(badPod.body.message, /invalid parameter "podId"/);
        const badState = await act('set-pod-state', { namespace: NS, serviceName: 'chat', podId: 1, state: '' });
        assert.equal(badState.status, 400);
        assert.match(badState.body.message, /"state"/);
        assert.equal((await act('launch-missiles', {})).status, 404);
        const unknownTask = await act('trigger-task', { id: 'no-such-task' });
        assert.equal(unknownTask.status, 404, JSON.stringify(unknownTask.body));
        assert.equal((await act('enable-task', [])).status, 400);
        assert.ok(logger.find('warn', /Action set-pod-state .* failed: /).length > 0);
      });
    });
  }

  it('is read-only by default: no token, no action, nothing offered', async () => {
    const logger = new CapturingLogger();
    const app = await startDashboardApp({ redisUrl: server.url, logger });
    try {
      const base = `${app.origin}${PATH}`;
      const page = await get(`${base}/routing`);
      assert.equal(page.headers.get('set-cookie'), null);
      const html = await page.text();
      assert.doesNotMatch(html, /sf-dashboard-csrf/);
      assert.match(html, />read-only</);
      const view = await json(await get(`${base}/api/routing?namespace=${NS}&service=game`));
      assert.ok(!JSON.stringify(view).includes('"actions"'), 'no action offered');
      assert.ok(!JSON.stringify(await json(await get(`${base}/api/scheduler`))).includes('"actions"'));
      const refused = await postAction(base, 'set-pod-state', {
        namespace: NS,
        serviceName: 'game',
        podId: 0,
        state: 'draining',
      });
      assert.equal(refused.status, 403);
      assert.match(refused.body.message, /read-only/);
      assert.equal((await app.routing.getServiceState(NS, 'game'))[0], 'running');
      assert.ok(logger.find('warn', /has no guard: whoever reaches the app can read it/).length === 1);
      assert.ok(logger.find('warn', /refused: read-only/).length === 1);
    } finally {
      await app.close();
    }
  });

  it('runs the guard before every route: pages, assets, JSON and actions', async () => {
    const app = await startDashboardApp({
      redisUrl: server.url,
      dashboard: { path: PATH, readOnly: false, guard: TokenGuard, allowedHosts: LOCAL },
      providers: [TokenGuard],
    });
    try {
      const base = `${app.origin}${PATH}`;
      for (const path of [
        '',
        '/routing',
        '/users',
        '/scheduler',
        '/task',
        '/assets/dashboard.js',
        '/api/routing',
        '/api/scheduler',
      ]) {
        assert.equal((await get(`${base}${path}`)).status, 403, path);
        assert.equal((await get(`${base}${path}`, { [TOKEN_HEADER]: 'wrong' })).status, 403, path);
      }
      const session = await openSession(`${base}/routing`, withToken);
      const action = await postAction(base, 'trigger-task', { id: 'cache-warmup' }, { session });
      assert.equal(action.status, 403, 'a valid CSRF token does not replace the guard');
    } finally {
      await app.close();
    }
  });

  it('takes the guard as an instance, sync, async or observable, and as a class built by the module', async () => {
    @Injectable()
    class Dependency {
      readonly allowed = 'yes';
    }
    @Injectable()
    class DependentGuard implements CanActivate {
      constructor(private readonly dependency: Dependency) {}
      canActivate(context: ExecutionContext): boolean {
        return (
          context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-allowed'] ===
          this.dependency.allowed
        );
      }
    }
    @Module({ providers: [Dependency], exports: [Dependency] })
    class DependencyModule {}
    const observable = (value: boolean) => ({
      subscribe(observer: { next(value: boolean): void; complete(): void }) {
        observer.next(value);
        observer.complete();
        return { unsubscribe() {} };
      },
    });
    const guards: Array<[string, CanActivate | typeof DependentGuard]> = [
      [
        'async instance',
        { canActivate: async (context) => context.switchToHttp().getRequest().headers['x-allowed'] === 'yes' },
      ],
      [
        'observable instance',
        {
          canActivate: (context) =>
            observable(context.switchToHttp().getRequest().headers['x-allowed'] === 'yes') as never,
        },
      ],
      ['class with a dependency', DependentGuard],
    ];
    for (const [name, guard] of guards) {
      const app = await startDashboardApp({
        redisUrl: server.url,
        dashboardModules: [
          StatefulDashboardModule.registerAsync({
            imports: [DependencyModule],
            inject: [Dependency],
            useFactory: (dependency: Dependency) => ({ path: `/guarded-${dependency.allowed}`, guard }),
          }),
        ],
      });
      try {
        assert.equal((await get(`${app.origin}/guarded-yes/routing`)).status, 403, name);
        assert.equal((await get(`${app.origin}/guarded-yes/routing`, { 'x-allowed': 'yes' })).status, 200, name);
      } finally {
        await app.close();
      }
    }
  });

  it('accepts a token issued by another replica on the same Redis (the secret lives in Redis)', async () => {
    const options = {
      redisUrl: server.url,
      dashboard: { path: PATH, readOnly: false, guard: { canActivate: () => true }, allowedHosts: LOCAL },
    };
    const [a, b] = await Promise.all([startDashboardApp(options), startDashboardApp(options)]);
    try {
      const session = await openSession(`${a.origin}${PATH}/routing`);
      const onB = await postAction(
        `${b.origin}${PATH}`,
        'set-pod-state',
        { namespace: NS, serviceName: 'chat', podId: 0, state: 'running' },
        { session },
      );
      assert.equal(onB.status, 200, JSON.stringify(onB.body));
      assert.equal(await server.cli('EXISTS', 'sf:dashboard:csrf-secret'), '1');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps the replicas agreeing on the CSRF secret when Redis loses it (FLUSHALL)', async () => {
    const own = await RedisServer.start();
    const options = {
      redisUrl: own.url,
      scheduler: false as const,
      dashboard: { path: PATH, readOnly: false, guard: { canActivate: () => true }, allowedHosts: LOCAL },
    };
    const drain = { namespace: NS, serviceName: 'chat', podId: 0, state: 'running' };
    const apps: DashboardApp[] = [];
    try {
      const [a, b] = await Promise.all([startDashboardApp(options), startDashboardApp(options)]);
      apps.push(a, b);
      const beforeLoss = await openSession(`${a.origin}${PATH}/routing`);
      assert.equal(
        (await postAction(`${b.origin}${PATH}`, 'set-pod-state', drain, { session: beforeLoss })).status,
        200,
      );
      await own.cli('FLUSHALL');
      // A replica started now creates the next secret; a and b read the first one before it was lost.
      const c = await startDashboardApp(options);
      apps.push(c);
      const fromC = await openSession(`${c.origin}${PATH}/routing`);
      const onA = await postAction(`${a.origin}${PATH}`, 'set-pod-state', drain, { session: fromC });
      assert.equal(onA.status, 200, `a checks a token it cannot verify against Redis: ${JSON.stringify(onA.body)}`);
      const stale = await postAction(`${c.origin}${PATH}`, 'set-pod-state', drain, { session: beforeLoss });
      assert.equal(stale.status, 403, 'a page from before the loss is refused');
      assert.match(stale.body.message, /reload/);
      const reloaded = await openSession(`${b.origin}${PATH}/routing`);
      const afterReload = await postAction(`${c.origin}${PATH}`, 'set-pod-state', drain, { session: reloaded });
      assert.equal(afterReload.status, 200, `a reloaded page works everywhere: ${JSON.stringify(afterReload.body)}`);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await own.dispose();
    }
  });

  it("sets a pod's state from the dashboard without counting it as a report of the pod", async () => {
    const app = await startDashboardApp({
      redisUrl: server.url,
      scheduler: false,
      dashboard: { path: PATH, readOnly: false, guard: { canActivate: () => true }, allowedHosts: LOCAL },
    });
    try {
      await app.routing.setServiceState(NS, 'drained', 0, 'running');
      const seenKey = `sf:{${NS}:state:drained}seen`;
      const redisNow = Number((await server.cli('TIME')).split('\n')[0]) * 1000;
      const lastReport = String(redisNow - 600_000);
      await server.cli('HSET', seenKey, '0', lastReport);
      const session = await openSession(`${app.origin}${PATH}/routing`);
      const drained = await postAction(
        `${app.origin}${PATH}`,
        'set-pod-state',
        { namespace: NS, serviceName: 'drained', podId: 0, state: 'draining' },
        { session },
      );
      assert.equal(drained.status, 200, JSON.stringify(drained.body));
      assert.equal((await app.routing.getServiceState(NS, 'drained'))[0], 'draining');
      assert.equal(await server.cli('HGET', seenKey, '0'), lastReport, 'the pod last reported 10 min ago, still');
      const view = texts(await json(await get(`${app.origin}${PATH}/api/routing?namespace=${NS}&service=drained`)));
      assert.ok(view.includes('silent') && view.some((text) => /^10 min( \d+ s)? ago$/.test(text)), view.join('|'));
    } finally {
      await app.close();
    }
  });

  it('answers the routing view when another client wrote a service name the library refuses', async () => {
    await server.cli('HSET', 'sf:{bad ns:state:svc}', '0', 'running');
    const app = await startDashboardApp({ redisUrl: server.url, scheduler: false });
    try {
      const response = await get(`${app.origin}${PATH}/api/routing`);
      assert.equal(response.status, 200);
      const view = (await json(response)) as {
        blocks: Array<{ id: string; rows?: Array<{ cells: Array<{ text: string; title?: string }> }> }>;
      };
      const rows = view.blocks.find((block) => block.id === 'services')!.rows!;
      const game = rows.find((row) => row.cells[0].text === NS && row.cells[1].text === 'game')!;
      assert.equal(game.cells[3].text, '4', 'the other services are counted as usual');
      assert.ok(
        rows.every((row) => row.cells[0].text !== 'bad ns' || row.cells[3].text === 'unreadable name'),
        'left out, or marked unreadable',
      );
      const selected = await get(`${app.origin}${PATH}/api/routing?namespace=bad%20ns&service=svc`);
      assert.equal(selected.status, 200);
      assert.ok(texts(await json(selected)).some((text) => /invalid parameter "namespace"/.test(text)));
    } finally {
      await app.close();
      await server.cli('DEL', 'sf:{bad ns:state:svc}');
    }
  });

  it('never reflects a request into the HTML, and answers JSON that no browser sniffs as HTML', async () => {
    const base = `${seeded.origin}${PATH}`;
    const hostile = encodeURIComponent(XSS.uid);
    const html = await (await get(`${base}/users?namespace=${NS}&uid=${hostile}`)).text();
    assert.ok(!html.includes('onerror'), 'the query is not in the page');
    const response = await get(`${base}/api/users?namespace=${NS}&uid=${hostile}`);
    assert.match(response.headers.get('content-type')!, /^application\/json/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const view = await json(response);
    assert.ok(texts(view).includes(`Links of ${XSS.uid}`), 'the uid comes back as data, for textContent');
    assert.ok(texts(view).includes(XSS.service));
  });

  it('shows task payloads behind a guard with secrets redacted and cut beyond the size limit', async () => {
    const scheduler = seeded.scheduler!;
    await scheduler.addTask({
      id: 'big-payload',
      name: 'big-payload',
      cron: '0 0 1 1 *',
      workflow: 'work',
      payload: { rows: 'x'.repeat(5_000), nested: { password: 'p4ss-w0rd' } },
    });
    const facts = texts(await json(await get(`${seeded.origin}${PATH}/api/task?id=big-payload`)));
    const payload = facts.find((text) => text.startsWith('{"rows"'))!;
    assert.ok(payload.length < 2_200, `payload cut (${payload.length} characters)`);
    assert.match(payload, /… \(\d+ more characters\)$/);
    const nightly = texts(await json(await get(`${seeded.origin}${PATH}/api/task?id=nightly-report`))).join('\n');
    assert.ok(!nightly.includes(PAYLOAD_SECRET) && !nightly.includes(URL_PASSWORD));
    assert.match(nightly, /"apiKey":"\[redacted: string, 23 chars\]"/);
    const unknown = texts(await json(await get(`${seeded.origin}${PATH}/api/task?id=nope`)));
    assert.ok(unknown.includes('No task with this id in the namespace.'));
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
