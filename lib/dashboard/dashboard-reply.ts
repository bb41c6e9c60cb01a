import type { HttpServer } from '@nestjs/common';
import { SECURITY_HEADERS } from './security/security-headers';

export const HTML = 'text/html; charset=utf-8';
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Puts the dashboard's security headers and a `Cache-Control` on a response. */
export function setDashboardHeaders(adapter: HttpServer, response: unknown, cache: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) adapter.setHeader(response, name, value);
  adapter.setHeader(response, 'Cache-Control', cache);
}

/**
 * Writes a whole answer of the dashboard through the app's HTTP adapter, the same bytes on Express and Fastify:
 * nothing returned for the app's interceptors to wrap or serialize.
 */
export function dashboardReply(
  adapter: HttpServer,
  response: unknown,
  statusCode: number,
  contentType: string,
  body: string,
  cache = 'no-store',
): void {
  setDashboardHeaders(adapter, response, cache);
  adapter.setHeader(response, 'Content-Type', contentType);
  adapter.reply(response, body, statusCode);
}
