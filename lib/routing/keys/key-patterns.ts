import type { KeySchema } from './key-schema';

/** The characters a Redis glob pattern gives a meaning to (`*`, `?`, `[`, `]`) and its escape (`\`). */
const GLOB_CHARACTERS = /[*?[\]\\]/g;

/** What follows the hash tag of a service's pod-entry keys that tell a service exists: states, weights, liveness. */
const POD_ENTRY_SUFFIXES = new Set(['', 'weight', 'seen']);

/** `text` as a literal inside a Redis `SCAN ... MATCH` pattern: each glob character escaped with `\`. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_CHARACTERS, '\\$&');
}

/**
 * SCAN patterns of the key schema, and the parsers that check what a SCAN returned: every part that comes
 * from a name is escaped, and every key found is parsed back and compared, so a name with glob characters
 * (`a*b`, `x[1]`) matches only its own keys.
 */
export class KeyPatterns {
  constructor(private readonly keys: KeySchema) {}

  /** Every link key of one service of a namespace: `<prefix>:{<ns>:lk:*}<svc>`. */
  serviceLinks(namespace: string, serviceName: string): string {
    return `${escapeGlob(this.linkHead(namespace))}*}${escapeGlob(serviceName)}`;
  }

  /** Every link key of a namespace, of any service: `<prefix>:{<ns>:lk:*}?*` (not the uid hashes, which end at `}`). */
  namespaceLinks(namespace: string): string {
    return `${escapeGlob(this.linkHead(namespace))}*}?*`;
  }

  /**
   * The uid hash and service of a link key of the namespace found by SCAN, or `undefined` when the key is not one.
   * Names hold no braces, so the hash tag closes at the first `}` and the rest, brace-free, is the service name.
   */
  linkOf(key: string, namespace: string): { hashKey: string; serviceName: string } | undefined {
    const head = this.linkHead(namespace);
    const close = key.indexOf('}', head.length);
    if (!key.startsWith(head) || close <= head.length || close === key.length - 1) return undefined;
    const serviceName = key.slice(close + 1);
    if (serviceName.includes('}')) return undefined;
    return { hashKey: key.slice(0, close + 1), serviceName };
  }

  /**
   * Every key of a service's pod entries, of one namespace or of all: `<prefix>:{<ns>:state:*}*` /
   * `<prefix>:{*:state:*}*` (the state hash, and the weight and liveness hashes of pods that report no state).
   */
  podEntries(namespace?: string): string {
    const prefix = escapeGlob(this.keys.prefix);
    return namespace === undefined ? `${prefix}:{*:state:*}*` : `${prefix}:{${escapeGlob(namespace)}:state:*}*`;
  }

  /**
   * The namespace and service of a state, weight or liveness hash found by SCAN, or `undefined` when the key is
   * not one. Names hold no braces: the hash tag closes at the first `}` after the head.
   */
  serviceOfPodEntries(key: string): { namespace: string; serviceName: string } | undefined {
    const head = `${this.keys.prefix}:{`;
    const close = key.indexOf('}', head.length);
    if (!key.startsWith(head) || close === -1 || !POD_ENTRY_SUFFIXES.has(key.slice(close + 1))) return undefined;
    const tag = key.slice(head.length, close);
    // A namespace holds no ':', so the first one ends it; a uid hash (`<ns>:lk:...`) is told apart here.
    const colon = tag.indexOf(':');
    if (colon <= 0 || !tag.startsWith(':state:', colon)) return undefined;
    const serviceName = tag.slice(colon + ':state:'.length);
    if (serviceName.length === 0 || serviceName.includes('{')) return undefined;
    return { namespace: tag.slice(0, colon), serviceName };
  }

  private linkHead(namespace: string): string {
    return `${this.keys.prefix}:{${namespace}:lk:`;
  }
}
