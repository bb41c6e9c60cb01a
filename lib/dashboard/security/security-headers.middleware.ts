import { SECURITY_HEADERS } from './security-headers';

interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Puts the security headers and `no-store` on every request under the dashboard's path before anything else
 * answers it, so that the refusals written by other layers carry them too: a guard's 403 (the dashboard's, the
 * app's global ones), the 404 of a path no route matches, the 421 of a host not allowed. A route that caches
 * (the versioned assets) sets its own `Cache-Control` over this one.
 */
export function dashboardSecurityHeaders(_request: unknown, response: HeaderSink, next: () => void): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  response.setHeader('Cache-Control', 'no-store');
  next();
}
