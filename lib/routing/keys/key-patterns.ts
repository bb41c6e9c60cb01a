import type { KeySchema } from './key-schema';

/** The characters a Redis glob pattern gives a meaning to (`*`, `?`, `[`, `]`) and its escape (`\`). */
const GLOB_CHARACTERS = /[*?[\]\\]/g;

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

  /**
   * The uid hash of a link key of that service found by SCAN, or `undefined` when the key is not one.
   * Names hold no braces, so the hash tag closes at the last `}`: the rest is the service name.
   */
  uidHashOfLink(key: string, namespace: string, serviceName: string): string | undefined {
    const head = this.linkHead(namespace);
    const close = key.lastIndexOf('}');
    if (close <= head.length || !key.startsWith(head) || key.slice(close + 1) !== serviceName) return undefined;
    if (key.indexOf('}', head.length) !== close) return undefined;
    return key.slice(0, close + 1);
  }

  /** Every pod-state hash, of one namespace or of all: `<prefix>:{<ns>:state:*}` / `<prefix>:{*:state:*}`. */
  podStates(namespace?: string): string {
    const prefix = escapeGlob(this.keys.prefix);
    return namespace === undefined ? `${prefix}:{*:state:*}` : `${prefix}:{${escapeGlob(namespace)}:state:*}`;
  }

  /** The namespace and service of a pod-state hash found by SCAN, or `undefined` when the key is not one. */
  serviceOfPodStates(key: string): { namespace: string; serviceName: string } | undefined {
    const head = `${this.keys.prefix}:{`;
    if (!key.startsWith(head) || !key.endsWith('}')) return undefined;
    const tag = key.slice(head.length, -1);
    // A namespace holds no ':', so the first one ends it; a uid hash (`<ns>:lk:...`) is told apart here.
    const colon = tag.indexOf(':');
    if (colon <= 0 || !tag.startsWith(':state:', colon)) return undefined;
    const serviceName = tag.slice(colon + ':state:'.length);
    if (serviceName.length === 0 || /[{}]/.test(serviceName)) return undefined;
    return { namespace: tag.slice(0, colon), serviceName };
  }

  private linkHead(namespace: string): string {
    return `${this.keys.prefix}:{${namespace}:lk:`;
  }
}
