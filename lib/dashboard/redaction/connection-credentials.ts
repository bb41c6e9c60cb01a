import type { Cluster, ClusterNode, Redis } from 'ioredis';
import { connectionPasswords } from '../../core/connection/connection-passwords';
import type { ResolvedStatefulRedisOptions } from '../../core/interfaces/stateful-redis-module-options.interface';
import { isPlainObject } from '../../core/validation/guards';

/** Option names that name an ACL user, at any depth of the connection's options (sentinels, cluster nodes). */
const USER_FIELDS = new Set(['username', 'sentinelUsername']);

/** The user of a connection without ACL: no credential, and a word too common in messages to take out. */
const DEFAULT_USER = 'default';

/** Nesting past which the options are not walked (they are a few levels deep). */
const MAX_DEPTH = 6;

const REDACTED = '[redacted]';

function userOfUrl(text: string): string[] {
  try {
    const user = new URL(text).username;
    return user ? [user, decodeURIComponent(user)] : [];
  } catch {
    return [];
  }
}

/** The ACL users named anywhere in `value`: user fields of option objects, the user info of URLs. */
function usersIn(value: unknown, depth: number): string[] {
  if (depth > MAX_DEPTH) return [];
  if (typeof value === 'string') return value.includes('://') ? userOfUrl(value) : [];
  if (Array.isArray(value)) return value.flatMap((item) => usersIn(item, depth + 1));
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([name, item]) =>
    USER_FIELDS.has(name) && typeof item === 'string' ? [item] : usersIn(item, depth + 1),
  );
}

/** The options a client connects with: its own (a borrowed client's are known only there), or a cluster's. */
function clientSettings(client: Redis | Cluster): unknown {
  if (!client.isCluster) return (client as Redis).options;
  // startupNodes is private in ioredis's types; a node given as a URL may name a user.
  const startupNodes = (client as unknown as { startupNodes?: ClusterNode[] }).startupNodes;
  return [(client as Cluster).options.redisOptions, startupNodes];
}

/** Each credential as it may stand in a text: as given, URL-encoded, escaped inside a JSON string. */
function writtenForms(credential: string): string[] {
  return [credential, encodeURIComponent(credential), JSON.stringify(credential).slice(1, -1)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A rule that takes out of a text the credentials of the app's Redis connection: its passwords and its ACL
 * user, from the module's options and from the client itself. Each is taken where it stands as a word of its
 * own (not inside a longer word), so that a short user name does not garble the text around it.
 */
export function connectionCredentialsRule(
  options: ResolvedStatefulRedisOptions,
  client: Redis | Cluster,
): (text: string) => string {
  const users = usersIn([options.redis, options.cluster, clientSettings(client)], 0);
  const credentials = [...users.filter((user) => user !== DEFAULT_USER), ...connectionPasswords(options, client)];
  const forms = [...new Set(credentials.filter((credential) => credential.length > 0).flatMap(writtenForms))];
  if (forms.length === 0) return (text) => text;
  // Longest first: a credential that holds another is taken whole.
  const alternatives = forms.sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![A-Za-z0-9])(?:${alternatives.join('|')})(?![A-Za-z0-9])`, 'g');
  return (text) => text.replace(pattern, REDACTED);
}
