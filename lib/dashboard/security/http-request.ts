import type { IncomingHttpHeaders } from 'node:http';

/** What the dashboard reads of a request, the same on Express and Fastify. */
export interface DashboardRequest {
  headers: IncomingHttpHeaders;
  ip?: string;
  /** `http` or `https` as the framework reads it (Express and Fastify), proxy trust settings applied. */
  protocol?: string;
  socket?: { encrypted?: boolean };
  raw?: { socket?: { encrypted?: boolean }; url?: string };
  /** The path and query as sent (Express and Fastify). */
  originalUrl?: string;
  url?: string;
  /** The body the framework parsed (JSON on both). */
  body?: unknown;
  /** Express: the route that matched, `path` as registered. */
  route?: { path?: unknown };
  /** Fastify: the route that matched, `url` as registered. */
  routeOptions?: { url?: unknown };
}

/** A request's path (not decoded) and its query parameters. */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * The path and query exactly as the client sent them: Express's `originalUrl` (a global prefix included),
 * Fastify's raw URL. Read here rather than through `@Query()` or `@Param()`, which the app's global pipes
 * transform, strip or refuse (a ValidationPipe with `forbidNonWhitelisted` refuses the assets' `?v=`).
 */
export function requestTarget(request: DashboardRequest): RequestTarget {
  const url = request.originalUrl ?? request.raw?.url ?? request.url ?? '/';
  const mark = url.indexOf('?');
  if (mark < 0) return { path: url, query: new URLSearchParams() };
  return { path: url.slice(0, mark), query: new URLSearchParams(url.slice(mark + 1)) };
}

/** The first value of a header that may repeat. */
export function header(request: DashboardRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Every value of a header, repeated or not. */
export function headerValues(request: DashboardRequest, name: string): string[] {
  const value = request.headers[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The cookies of the request, by name (the first of a repeated name wins). */
export function cookies(request: DashboardRequest): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (header(request, 'cookie') ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const name = part.slice(0, equals).trim();
    if (!found.has(name)) found.set(name, part.slice(equals + 1).trim());
  }
  return found;
}

/**
 * Whether the browser reached the app over HTTPS: the framework's `protocol`, which believes `X-Forwarded-Proto`
 * only from a proxy the app trusts (Express's `trust proxy`, Fastify's `trustProxy`), else the connection's own.
 * Any client can send the header: read as is, it would let one choose the cookie's flags.
 */
export function isHttps(request: DashboardRequest): boolean {
  if (typeof request.protocol === 'string') return request.protocol === 'https';
  return Boolean(request.socket?.encrypted ?? request.raw?.socket?.encrypted);
}

/**
 * Whether a state-changing request comes from a page of this very host: its `Origin` (or, without one, its
 * `Referer`) names the host the request was sent to. A browser never lets another site forge either header.
 */
export function isSameOrigin(request: DashboardRequest): boolean {
  const source = header(request, 'origin') ?? header(request, 'referer');
  const target = (header(request, 'x-forwarded-host')?.split(',')[0] ?? header(request, 'host'))?.trim().toLowerCase();
  if (source === undefined || target === undefined || source === 'null') return false;
  try {
    return new URL(source).host === target;
  } catch {
    return false;
  }
}
