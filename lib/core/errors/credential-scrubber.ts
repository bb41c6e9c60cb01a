/*
 * Takes credentials out of what the library hands out or logs. ioredis errors carry the command
 * that failed, and the command of a refused handshake is `HELLO 3 AUTH <user> <password>` or
 * `AUTH <password>`; the failing error may sit at any depth (`cause`, `previousErrors`,
 * `lastNodeError`, ...). The objects ioredis and the app own are never rewritten (a command's
 * args array is shared with the live command): whatever holds a credential, and everything on
 * the way to it, is copied instead.
 */

/** What a credential is replaced with. */
const REDACTED = '[redacted]';

/** Passwords shorter than this are not searched for in free text: replacing every "ab" would garble messages. */
const MIN_TEXT_SECRET_LENGTH = 4;
/** Bounds on the walk, so that an error referencing a large object graph costs little. */
const MAX_DEPTH = 32;
const MAX_OBJECTS = 2_000;
const TOO_DEEP = '[omitted: nested too deep]';

/** Names of properties whose text is a credential whatever it holds: `password`, `sentinelPassword`, ... */
const SECRET_PROPERTY_NAME = /(^|[_-])(pass|passwd|password|passphrase|secret)$/i;
const SECRET_PROPERTY_SUFFIX = /[a-z0-9](Pass|Passwd|Password|Passphrase|Secret)$/;
/**
 * `scheme://<user info>@`: the scheme in group 1, the user info in group 2 (`user:password`, or a token alone).
 * The user info runs to the last `@` before the host's end: a password may hold `@` (`redis://app:p@ss@cache`), a
 * host name never does. It holds `/`, `?` or `#` only when what follows `user:` is not a port (up to 5 digits):
 * such a password (`postgres://app:abc/def@db`, base64-generated) makes the URL invalid, and so stands in "Invalid
 * URL" errors; `https://host:8443/users/a@b.com` keeps its path. The scheme is bounded (schemes are short), and so
 * is a password holding `/` (256 characters), so that long runs of URL-like text cost linear time, not quadratic.
 */
export const URL_USER_INFO = new RegExp(
  String.raw`\b([a-z][a-z0-9+.-]{0,31}://)` +
    String.raw`((?:[^\s:@/?#[\]]*:(?![0-9]{0,5}(?:[/?#\s]|$))[^\s@]{0,256}(?:@[^\s@/?#]*)*|[^\s/?#]*))@`,
  'gi',
);
/** Redis quotes the first args of a command it does not know (HELLO on Redis 5, for one). */
const ECHOED_CREDENTIAL_ARGS =
  /(unknown command [`'"]?(?:auth|hello|migrate)[`'"]?, with args beginning with:)[^\r\n]*/gi;

/** Passwords the running modules were given, with how many modules hold each. */
const knownSecrets = new Map<string, number>();
/** The same, longest first, so that a password containing another is replaced whole. */
let secretsLongestFirst: string[] = [];

function knownSecretsChanged(): void {
  secretsLongestFirst = [...knownSecrets.keys()].sort((a, b) => b.length - a.length);
}

/** Makes the texts of errors redact `secrets` (and their URL-encoded forms) until the returned release is called. */
export function registerSecrets(secrets: Iterable<string | undefined>): () => void {
  const added = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_TEXT_SECRET_LENGTH) continue;
    added.add(secret);
    added.add(encodeURIComponent(secret));
  }
  for (const secret of added) knownSecrets.set(secret, (knownSecrets.get(secret) ?? 0) + 1);
  knownSecretsChanged();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const secret of added) {
      const holders = (knownSecrets.get(secret) ?? 1) - 1;
      if (holders > 0) knownSecrets.set(secret, holders);
      else knownSecrets.delete(secret);
    }
    knownSecretsChanged();
  };
}

/** A URL's user info with its password redacted; a user alone is left (the dashboard judges whether it is a token). */
function redactUrlPassword(match: string, scheme: string, userInfo: string): string {
  const colon = userInfo.indexOf(':');
  return colon < 0 ? match : `${scheme}${userInfo.slice(0, colon)}:${REDACTED}@`;
}

/** Percent-encodings read through, one inside another (a URL in the query of a URL in the query of another). */
const MAX_DECODINGS = 3;
const PERCENT_ESCAPE = /%[0-9a-f]{2}/i;
const PERCENT_ESCAPE_RUNS = /(?:%[0-9a-f]{2})+/gi;
const WORD = /\S+/g;

/** `word` with its percent-escapes decoded; a run of them that is not UTF-8 stays as it is. */
function percentDecoded(word: string): string {
  return word.replace(PERCENT_ESCAPE_RUNS, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * `rule(text)`, with the rule applied again to each word of the result holding percent-escapes, read decoded: in
 * `redirect_uri=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3D…` the query string is a query string. A word in which
 * the rule finds something then is shown decoded, with it redacted; the others stay as they were.
 */
export function readingEncodedWords(text: string, rule: (text: string) => string, decodings = 0): string {
  const applied = rule(text);
  if (decodings >= MAX_DECODINGS || !PERCENT_ESCAPE.test(applied)) return applied;
  return applied.replace(WORD, (word) => {
    if (!PERCENT_ESCAPE.test(word)) return word;
    const decoded = percentDecoded(word);
    if (decoded === word) return word;
    const redacted = readingEncodedWords(decoded, rule, decodings + 1);
    return redacted === decoded ? word : redacted;
  });
}

/**
 * `text` without URL passwords, echoed AUTH/HELLO args, or any registered password, percent-encoded words read
 * decoded too.
 */
export function scrubText(text: string): string {
  return readingEncodedWords(text, scrubPlainText);
}

function scrubPlainText(text: string): string {
  let scrubbed = text.replace(URL_USER_INFO, redactUrlPassword).replace(ECHOED_CREDENTIAL_ARGS, `$1 ${REDACTED}`);
  for (const secret of secretsLongestFirst) {
    if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
  }
  return scrubbed;
}

/**
 * `value` itself when nothing reachable from it holds a credential; else a copy (same prototypes,
 * same property attributes, cycles kept) in which every credential is replaced by `REDACTED`.
 */
export function scrubbedCopy<T>(value: T): T {
  if (typeof value === 'string') return scrubText(value) as T;
  // A function is code, not data: it is neither walked nor copied.
  if (!isObject(value) || typeof value === 'function') return value;
  const graph = walk(value);
  const needsCopy = ancestorsOfChanges(graph);
  return copyOf(value, graph, needsCopy, new Map()) as T;
}

type Holder = object;

/** An own property (or Map/Set entry) of a walked object, and what it becomes. */
interface Slot {
  key: PropertyKey;
  value: unknown;
  enumerable: boolean;
  writable: boolean;
  configurable: boolean;
  /** Set when the value is replaced: a redacted credential, or a placeholder past the walk's bounds. */
  replacement?: { value: unknown };
}

interface Node {
  slots: Slot[];
  /** Objects that reference this one, to mark them for copying when this one changes. */
  parents: Set<Holder>;
  changed: boolean;
}

type Graph = Map<Holder, Node>;

function isSecretProperty(key: string): boolean {
  return SECRET_PROPERTY_NAME.test(key) || SECRET_PROPERTY_SUFFIX.test(key);
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** Breadth first, so that an object reached by several paths is bounded by its shallowest. */
function walk(root: object): Graph {
  const graph: Graph = new Map();
  const credentialArgs = new WeakMap<unknown[], Set<number>>();
  let queue: Array<{ holder: Holder; parent?: Holder }> = [{ holder: root }];
  for (let depth = 0; queue.length > 0; depth++) {
    const next: typeof queue = [];
    for (const { holder, parent } of queue) {
      const known = graph.get(holder);
      if (known) {
        if (parent) known.parents.add(parent);
        continue;
      }
      const node: Node = { slots: slotsOf(holder), parents: new Set(parent ? [parent] : []), changed: false };
      graph.set(holder, node);
      for (const slot of node.slots) {
        const replacement = replacementOf(slot);
        if (replacement) {
          slot.replacement = replacement;
          node.changed = true;
        } else if (isObject(slot.value) && typeof slot.value !== 'function' && !ArrayBuffer.isView(slot.value)) {
          const withinBounds = depth + 1 < MAX_DEPTH && graph.size + next.length < MAX_OBJECTS;
          if (graph.has(slot.value)) graph.get(slot.value)?.parents.add(holder);
          else if (withinBounds) next.push({ holder: slot.value, parent: holder });
          else {
            slot.replacement = { value: TOO_DEEP };
            node.changed = true;
          }
        }
      }
      const pendingIndexes = Array.isArray(holder) ? credentialArgs.get(holder) : undefined;
      if (pendingIndexes) redactArgs(node, pendingIndexes);
      for (const [args, indexes] of credentialArgsOf(holder)) {
        // An args array already walked (this one, or one reached by a shorter path) is redacted now.
        const walked = graph.get(args);
        if (walked) redactArgs(walked, indexes);
        else credentialArgs.set(args, indexes);
      }
    }
    queue = next;
  }
  return graph;
}

/** Replaces the text args (strings, Buffers) at `indexes` of a walked args array. */
function redactArgs(node: Node, indexes: Set<number>): void {
  for (const slot of node.slots) {
    const isText = typeof slot.value === 'string' || ArrayBuffer.isView(slot.value);
    if (isText && typeof slot.key === 'string' && indexes.has(Number(slot.key))) {
      slot.replacement = { value: REDACTED };
      node.changed = true;
    }
  }
}

/** Own properties (non-enumerable and symbol-keyed too), Map entries as [key, value] pairs, Set members. */
function slotsOf(holder: Holder): Slot[] {
  const entry = (key: PropertyKey, value: unknown): Slot => {
    return { key, value, enumerable: true, writable: true, configurable: true };
  };
  if (holder instanceof Map) return [...holder].map(([key, value], index) => entry(index, [key, value]));
  if (holder instanceof Set) return [...holder].map((value, index) => entry(index, value));
  const slots: Slot[] = [];
  for (const key of Reflect.ownKeys(holder)) {
    if (Array.isArray(holder) && key === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(holder, key);
    if (!descriptor) continue;
    let value: unknown;
    try {
      value = 'value' in descriptor ? descriptor.value : descriptor.get?.call(holder);
    } catch {
      continue; // a getter that throws exposes nothing
    }
    slots.push({
      key,
      value,
      enumerable: descriptor.enumerable ?? false,
      writable: descriptor.writable ?? true,
      configurable: descriptor.configurable ?? true,
    });
  }
  return slots;
}

/** The new value of a slot holding a credential or a text with one; undefined when the slot stays. */
function replacementOf(slot: Slot): { value: unknown } | undefined {
  const { key, value } = slot;
  if (typeof value !== 'string' && !ArrayBuffer.isView(value)) return undefined;
  if (typeof key === 'string' && isSecretProperty(key)) return { value: REDACTED };
  if (typeof value === 'string') {
    const scrubbed = scrubText(value);
    return scrubbed === value ? undefined : { value: scrubbed };
  }
  const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  const scrubbed = scrubText(text);
  return scrubbed === text ? undefined : { value: Buffer.from(scrubbed, 'utf8') };
}

/**
 * The credential args of a command, by args array: an ioredis `{ name, args }` (an error's
 * `command`, a `Command`), or an array that is a whole command (`['AUTH', user, password]`).
 */
function credentialArgsOf(holder: Holder): Array<[unknown[], Set<number>]> {
  const found: Array<[unknown[], Set<number>]> = [];
  const command = holder as { name?: unknown; args?: unknown };
  if (typeof command.name === 'string' && Array.isArray(command.args)) {
    const indexes = credentialIndexes(command.name, command.args);
    if (indexes.size > 0) found.push([command.args, indexes]);
  }
  if (Array.isArray(holder) && holder.length > 1) {
    const indexes = credentialIndexes(textOf(holder[0]), holder.slice(1));
    if (indexes.size > 0) found.push([holder, new Set([...indexes].map((index) => index + 1))]);
  }
  return found;
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/**
 * Indexes of the args of `name` that are passwords: `AUTH [user] password`,
 * `HELLO protover AUTH user password ...`, `MIGRATE ... AUTH password | AUTH2 user password`.
 * An AUTH with an unexpected number of args has all of them redacted.
 */
function credentialIndexes(name: string, args: unknown[]): Set<number> {
  const command = name.toLowerCase();
  if (command === 'auth') {
    if (args.length === 1) return new Set([0]);
    if (args.length === 2) return new Set([1]);
    return new Set(args.keys());
  }
  const indexes = new Set<number>();
  if (command !== 'hello' && command !== 'migrate') return indexes;
  args.forEach((arg, index) => {
    const option = textOf(arg).toUpperCase();
    if (option === 'AUTH') indexes.add(command === 'hello' ? index + 2 : index + 1);
    if (option === 'AUTH2') indexes.add(index + 2);
  });
  // A truncated HELLO ... AUTH user: what follows AUTH may be the password.
  if (command === 'hello') {
    for (const index of [...indexes]) if (index >= args.length) indexes.add(index - 1);
  }
  return indexes;
}

/** Every object from which a replaced slot can be reached: those must be copied. */
function ancestorsOfChanges(graph: Graph): Set<Holder> {
  const needsCopy = new Set<Holder>();
  const pending = [...graph].filter(([, node]) => node.changed).map(([holder]) => holder);
  while (pending.length > 0) {
    const holder = pending.pop() as Holder;
    if (needsCopy.has(holder)) continue;
    needsCopy.add(holder);
    for (const parent of graph.get(holder)?.parents ?? []) pending.push(parent);
  }
  return needsCopy;
}

function copyOf(value: unknown, graph: Graph, needsCopy: Set<Holder>, copies: Map<Holder, object>): unknown {
  if (!isObject(value) || !needsCopy.has(value)) return value;
  const done = copies.get(value);
  if (done) return done;
  const node = graph.get(value) as Node;
  const valueOf = (slot: Slot) => {
    return slot.replacement ? slot.replacement.value : copyOf(slot.value, graph, needsCopy, copies);
  };
  if (value instanceof Map) {
    const map = new Map();
    copies.set(value, map);
    for (const slot of node.slots) {
      const [key, entry] = valueOf(slot) as [unknown, unknown];
      map.set(key, entry);
    }
    return map;
  }
  if (value instanceof Set) {
    const set = new Set();
    copies.set(value, set);
    for (const slot of node.slots) set.add(valueOf(slot));
    return set;
  }
  const copy = shellOf(value);
  copies.set(value, copy);
  for (const slot of node.slots) {
    Object.defineProperty(copy, slot.key, {
      value: valueOf(slot),
      enumerable: slot.enumerable,
      writable: slot.writable,
      configurable: slot.configurable,
    });
  }
  return copy;
}

/** An empty object of the kind of `value`; an error stays a native error of its class (loggers treat those apart). */
function shellOf(value: object): object {
  if (Array.isArray(value)) return new Array(value.length);
  if (!(value instanceof Error)) return Object.create(Object.getPrototypeOf(value));
  const error = new Error();
  delete (error as { stack?: string }).stack;
  Object.setPrototypeOf(error, Object.getPrototypeOf(value));
  return error;
}
