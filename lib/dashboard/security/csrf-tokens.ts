import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';
import { DashboardSources } from '../dashboard-sources';

/** The cookie that carries the browser's random id; the token sent back with an action is derived from it. */
export const CSRF_COOKIE = 'sf_dashboard_csrf';

/** The request header an action carries its token in (a custom header: no other site can send one). */
export const CSRF_HEADER = 'x-csrf-token';

const BROWSER_ID = /^[A-Za-z0-9_-]{22}$/;

/** How long a page's token is honoured: a captured cookie and token pair is of no use past it. */
export const CSRF_TOKEN_LIFETIME_MS = 60 * 60_000;

/** How far another replica's clock may run ahead of this one's: a token it issued is no token "from the future". */
const CLOCK_SKEW_MS = 60_000;

/** The issue time of a token: ms since the epoch, base 36. */
const ISSUED_AT = /^[0-9a-z]{1,11}$/;

/** What a token sent with an action is worth. */
export type CsrfTokenCheck = 'valid' | 'expired' | 'invalid';

/**
 * Signed double-submit tokens that expire: the browser holds a random id in a `SameSite=Strict`, `HttpOnly`
 * cookie, the page holds `<issued at>.HMAC(secret, id and issued at)`, and an action must send both within
 * `CSRF_TOKEN_LIFETIME_MS` of the page load (each load issues a new token). The time is signed: no one can
 * make a token younger. The secret is random, created once per key prefix in Redis (`SET NX`), so that every
 * replica behind a load balancer accepts the tokens of the others; no one can compute a token for an id
 * without it. Redis may lose it (FLUSHALL, a failover before it was replicated) and another replica create
 * the next one: a page load reads it afresh, and a token that does not verify against the secret in memory is
 * checked once more against the one in Redis, so the replicas agree again at the next page load.
 */
@Injectable()
export class CsrfTokens {
  /** The secret as last read from Redis. */
  private known?: Buffer;

  constructor(private readonly sources: DashboardSources) {}

  /** A new random browser id, for the cookie. */
  newBrowserId(): string {
    return randomBytes(16).toString('base64url');
  }

  /** Whether a cookie value can be a browser id (a malformed one is replaced, never signed). */
  isBrowserId(value: string | undefined): value is string {
    return value !== undefined && BROWSER_ID.test(value);
  }

  /** A new token of a browser id, for a page: signed with the secret as Redis holds it now (or as last read). */
  async tokenFor(browserId: string): Promise<string> {
    let secret: Buffer;
    try {
      secret = await this.readSecret();
    } catch (error) {
      if (this.known === undefined) throw error;
      secret = this.known;
    }
    const issuedAt = this.now().toString(36);
    return `${issuedAt}.${sign(secret, browserId, issuedAt).toString()}`;
  }

  /**
   * Whether `token` is a token of `browserId` (by the secret last read or, failing that, the one in Redis now)
   * that is still honoured.
   */
  async check(browserId: string | undefined, token: string | undefined): Promise<CsrfTokenCheck> {
    if (!this.isBrowserId(browserId) || typeof token !== 'string') return 'invalid';
    const dot = token.indexOf('.');
    const issuedAt = token.slice(0, dot);
    if (dot < 0 || !ISSUED_AT.test(issuedAt)) return 'invalid';
    if (!(await this.isSigned(Buffer.from(token.slice(dot + 1)), browserId, issuedAt))) return 'invalid';
    const age = this.now() - Number.parseInt(issuedAt, 36);
    if (age < -CLOCK_SKEW_MS) return 'invalid';
    return age > CSRF_TOKEN_LIFETIME_MS ? 'expired' : 'valid';
  }

  /** The clock of issue times and ages (the app's: replicas' clocks agree well within a token's lifetime). */
  protected now(): number {
    return Date.now();
  }

  private async isSigned(given: Buffer, browserId: string, issuedAt: string): Promise<boolean> {
    const known = this.known ?? (await this.readSecret());
    if (matches(given, sign(known, browserId, issuedAt))) return true;
    const current = await this.readSecret();
    return !current.equals(known) && matches(given, sign(current, browserId, issuedAt));
  }

  private async readSecret(): Promise<Buffer> {
    const secret = await this.readOrCreateSecret();
    this.known = secret;
    return secret;
  }

  private async readOrCreateSecret(): Promise<Buffer> {
    const { connection, pipeline, options } = this.sources.core;
    const key = `${options.keyPrefix}:dashboard:csrf-secret`;
    const client = connection.client;
    let stored: string | null = null;
    // The answer is only "read": with logOperations on, the pipeline logs it, and the secret must stay out of logs.
    await pipeline.send(
      'dashboard',
      'dashboardCsrfSecret',
      { key },
      async () => {
        await client.set(key, randomBytes(32).toString('hex'), 'NX');
        stored = await client.get(key);
        return stored === null ? 'missing' : 'read';
      },
      2,
    );
    if (stored === null)
      throw new StatefulError(ErrorCode.REDIS_OPERATION_ERROR, `dashboardCsrfSecret: ${key} vanished`);
    return Buffer.from(stored);
  }
}

function sign(secret: Buffer, browserId: string, issuedAt: string): Buffer {
  return Buffer.from(createHmac('sha256', secret).update(`${browserId}.${issuedAt}`).digest('base64url'));
}

function matches(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
