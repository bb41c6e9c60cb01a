// The CSRF cookie and tokens over HTTP, Express and Fastify alike: the cookie's Secure flag follows
// X-Forwarded-Proto only when the app trusts its proxy; tokens expire and each page load issues a new one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CsrfTokens } from '../../lib/dashboard/security/csrf-tokens';
import { RedisServer } from '../harness/redis-server';
import { LOCAL, PLATFORMS, startDashboardApp } from './dashboard-app';
import { BrowserSession, get, openSession, postAction } from './dashboard-client';

const PATH = '/ops';
const allowAll = { canActivate: () => true };
const MINUTE = 60_000;

/** An action that changes nothing visible: a pod set to the state it already has. */
const KEEP_RUNNING = { namespace: 'csrf', serviceName: 'game', podId: 0, state: 'running' };

describe('dashboard CSRF cookie and tokens', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(() => server?.dispose());

  it('issues a new token at each page load, honours each for an hour, then refuses it as expired', async () => {
    const app = await startDashboardApp({
      redisUrl: server.url,
      scheduler: false,
      dashboard: { path: PATH, readOnly: false, guard: allowAll, allowedHosts: LOCAL },
    });
    try {
      await app.routing.setServiceState('csrf', 'game', 0, 'running');
      const base = `${app.origin}${PATH}`;
      // The verifying side's clock, moved by the test (tokens are issued on the real one).
      const tokens = app.app.get(CsrfTokens, { strict: false }) as unknown as { now(): number };
      const act = (session: BrowserSession) => postAction(base, 'set-pod-state', KEEP_RUNNING, { session });
      const first = await openSession(`${base}/routing`);
      const reloaded = await openSession(`${base}/routing`, { cookie: first.cookie });
      assert.notEqual(reloaded.token, first.token, 'a page load issues a new token');
      assert.equal((await act(first)).status, 200, 'the older token of an open tab still works');
      assert.equal((await act(reloaded)).status, 200);

      const issuedAt = Date.now();
      const fresh = await openSession(`${base}/routing`, { cookie: first.cookie });
      tokens.now = () => issuedAt + 59 * MINUTE;
      assert.equal((await act(fresh)).status, 200, 'at 59 min');
      tokens.now = () => issuedAt + 61 * MINUTE;
      const expired = await act(fresh);
      assert.equal(expired.status, 403, 'at 61 min');
      assert.match(expired.body.message, /expired.*reload the page/);
      const [time, signature] = fresh.token.split('.');
      const later = (Number.parseInt(time, 36) + 2 * MINUTE).toString(36);
      const edited = await act({ ...fresh, token: `${later}.${signature}` });
      assert.equal(edited.status, 403, 'a token whose time was edited');
      assert.doesNotMatch(edited.body.message, /expired/);
      tokens.now = () => issuedAt - 5 * MINUTE;
      assert.equal((await act(fresh)).status, 403, 'issued later than the clocks of two replicas can differ');
      tokens.now = () => issuedAt - 20_000;
      assert.equal((await act(fresh)).status, 200, 'issued by a replica whose clock is seconds ahead');
    } finally {
      await app.close();
    }
  });

  for (const platform of PLATFORMS) {
    it(`on ${platform}: trusts X-Forwarded-Proto for the cookie's Secure flag only behind a trusted proxy`, async () => {
      const options = {
        redisUrl: server.url,
        platform,
        scheduler: false as const,
        dashboard: { path: PATH, readOnly: false, guard: allowAll, allowedHosts: LOCAL },
      };
      const [untrusting, trusting] = await Promise.all([
        startDashboardApp(options),
        startDashboardApp({ ...options, trustProxy: true }),
      ]);
      try {
        const cookieOf = async (origin: string, headers: Record<string, string>) =>
          (await get(`${origin}${PATH}/routing`, headers)).headers.get('set-cookie') ?? '';
        const https = { 'x-forwarded-proto': 'https' };
        assert.doesNotMatch(await cookieOf(untrusting.origin, https), /Secure/, 'a client says https: not believed');
        assert.match(await cookieOf(trusting.origin, https), /; Secure/, 'the trusted proxy says https');
        assert.doesNotMatch(await cookieOf(trusting.origin, {}), /Secure/, 'plain HTTP, nothing forwarded');
      } finally {
        await Promise.all([untrusting.close(), trusting.close()]);
      }
    });
  }
});
