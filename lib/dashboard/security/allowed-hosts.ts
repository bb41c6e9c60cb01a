import { type DashboardRequest, headerValues } from './http-request';

/** A host name or IPv4 address, or an IPv6 address in brackets, then an optional port. */
const HOST = new RegExp(
  String.raw`^(?<name>\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*)` +
    String.raw`(?::(?<port>\d{1,5}))?$`,
);

interface HostName {
  name: string;
  port: string | undefined;
}

/** `name[:port]` lower-cased and split, or `undefined` when it is no host (a port out of 1..65535 included). */
export function parseHost(text: string): HostName | undefined {
  const groups = HOST.exec(text.trim().toLowerCase())?.groups;
  if (groups === undefined) return undefined;
  const port = groups.port;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return undefined;
  return { name: groups.name, port };
}

/** Whether `host` is one of `allowed`: an entry without a port allows the name on any port. */
function isAllowed(host: string, allowed: readonly string[]): boolean {
  const parsed = parseHost(host);
  if (parsed === undefined) return false;
  return allowed.some((entry) => {
    const wanted = parseHost(entry);
    return wanted?.name === parsed.name && (wanted.port === undefined || wanted.port === parsed.port);
  });
}

/**
 * Whether a request was sent to one of the dashboard's host names. A browser sends the name of the site whose
 * page made the request, and no script can change it: a site whose name was rebound to the app's address still
 * sends its own name. Every `X-Forwarded-Host` name must be allowed too (a proxy may append to one a page sent),
 * so behind a proxy that rewrites `Host`, both the name the browser uses and the name the proxy sends are listed.
 */
export function isAllowedHost(request: DashboardRequest, allowed: readonly string[]): boolean {
  const hosts = headerValues(request, 'host');
  if (hosts.length !== 1) return false;
  const forwarded = headerValues(request, 'x-forwarded-host').flatMap((value) => value.split(','));
  return [...hosts, ...forwarded].every((host) => isAllowed(host, allowed));
}
