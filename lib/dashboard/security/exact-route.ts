import type { DashboardRequest } from './http-request';

/** What a route parameter of the dashboard holds (an asset's file name, an action's name). */
const PARAMETER = '[A-Za-z0-9._-]+';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The route pattern the framework matched the request to: Express's `route.path`, Fastify's `routeOptions.url`. */
function matchedPattern(request: DashboardRequest): string | undefined {
  const pattern = request.route?.path ?? request.routeOptions?.url;
  return typeof pattern === 'string' ? pattern : undefined;
}

/**
 * Whether the request's path is exactly the one of the route it reached: Express matches routes ignoring case
 * and a trailing slash, Fastify after percent-decoding, so `/OPS/routing`, `/ops/routing/` and `/ops/%72outing`
 * would reach a page on one and not the other (and a page under a trailing slash asks for its assets at the
 * wrong place). Here every one is refused on both: the path must be the route's, letter for letter, with its
 * parameters plain names. A request whose framework says nothing of its route is let through.
 */
export function isExactRoute(request: DashboardRequest): boolean {
  const pattern = matchedPattern(request);
  const url = request.originalUrl ?? request.raw?.url ?? request.url;
  if (pattern === undefined || url === undefined) return true;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const expected = pattern
    .split('/')
    .map((segment) => (segment.startsWith(':') ? PARAMETER : escapeRegExp(segment)))
    .join('/');
  return new RegExp(`^${expected}$`).test(path);
}
