// The CSRF cookie and tokens over HTTP, Express and Fastify alike: the cookie's Secure flag follows
// X-Forwarded-Proto only when the app trusts its proxy; tokens expire and each page load issues a new one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisServer } from '../harness/redis-server';
import { LOCAL, PLATFORMS, startDashboardApp } from './dashboard-app';
import { get } from './dashboard-client';

const PATH = '/ops';
const allowAll = { canActivate: () => true };

describe('dashboard CSRF cookie and tokens', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(() => server?.dispose());

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
