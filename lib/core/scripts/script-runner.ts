import type { Cluster, Redis } from 'ioredis';
import { isNoScriptError } from '../errors/redis-error.mapper';
import { keyCountCheck, type KeysOf, type LuaScript } from './lua-script';

type RedisClient = Redis | Cluster;

/**
 * `EVALSHA`, and on `NOSCRIPT` (restart, failover, `SCRIPT FLUSH`: the script did not run) `EVAL` with the
 * source, which also caches it. `beforeEach` runs right before each of the two sends (e.g. `CLIENT CACHING yes`,
 * which applies to the very next command only).
 */
export function evalScript(
  client: RedisClient,
  script: LuaScript,
  keys: string[],
  args: Array<string | number>,
  beforeEach?: () => void,
): Promise<unknown> {
  beforeEach?.();
  return client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!isNoScriptError(error)) throw error;
    beforeEach?.();
    return client.eval(script.source, keys.length, ...keys, ...args);
  });
}

/** A feature's scripts by name (its `*-scripts.generated.ts`). */
export type ScriptSet<N extends string = string> = { readonly [Name in N]: LuaScript<Name> };

/**
 * A feature's view of the script runner (what `register` returns): `run` takes only the feature's script names,
 * each with a tuple of as many keys as the script takes (the runner refuses another count at run time too).
 */
export interface FeatureScripts<S extends ScriptSet> {
  run<N extends keyof S & string>(name: N, keys: KeysOf<S[N]['keys']>, args: Array<string | number>): Promise<unknown>;
}

/**
 * Runs the library's Lua scripts by SHA. A `NOSCRIPT` reply (restart, failover, `SCRIPT FLUSH`)
 * means the script did not run, so it is sent again with its source, which also caches it.
 * Every feature registers its own set of scripts when it is created, before `preload` runs.
 */
export class ScriptRunner {
  /** Each registered script with the check of its calls' key count. */
  private readonly scripts = new Map<string, { script: LuaScript; checkKeys: (given: number) => string | undefined }>();
  private watchingNewNodes = false;

  constructor(private readonly client: RedisClient) {}

  /**
   * Adds a feature's scripts; a name already registered must name the same script. Returns the feature's view of
   * this runner.
   */
  register<S extends ScriptSet>(set: S): FeatureScripts<S> {
    for (const script of Object.values<LuaScript>(set)) {
      const name = script.name;
      const existing = this.scripts.get(name);
      if (existing !== undefined && existing.script.sha !== script.sha) {
        throw new Error(`nestjs-stateful-redis: two different Lua scripts are registered as "${name}"`);
      }
      this.scripts.set(name, { script, checkKeys: keyCountCheck(script) });
    }
    return this;
  }

  /** Runs a registered script; rejects, sending nothing, when it is not registered or takes another number of keys. */
  run(name: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    const registered = this.scripts.get(name);
    if (registered === undefined)
      return Promise.reject(new Error(`nestjs-stateful-redis: no Lua script registered as "${name}"`));
    const mismatch = registered.checkKeys(keys.length);
    if (mismatch !== undefined) return Promise.reject(new Error(mismatch));
    return evalScript(this.client, registered.script, keys, args);
  }

  /** `SCRIPT LOAD` of every script on every node (every master and replica of a cluster). */
  async preload(): Promise<void> {
    await Promise.all(this.nodes('all').map((node) => this.loadInto(node)));
    // A replica promoted by a failover should already hold the scripts: load them into every node ioredis
    // meets from now on (the nodes met while connecting were loaded just above).
    if (this.client.isCluster && !this.watchingNewNodes) {
      this.watchingNewNodes = true;
      this.client.on('+node', (node: Redis) => void this.loadInto(node).catch(() => undefined));
    }
  }

  /** Whether every script is in the cache of every node that runs them. */
  async loaded(): Promise<boolean> {
    const shas = [...this.scripts.values()].map(({ script }) => script.sha);
    const replies = await Promise.all(
      this.nodes('master').map((node) => node.script('EXISTS', ...shas) as Promise<number[]>),
    );
    return replies.every((flags) => flags.every((flag) => flag === 1));
  }

  private async loadInto(node: Redis): Promise<void> {
    await Promise.all([...this.scripts.values()].map(({ script }) => node.script('LOAD', script.source)));
  }

  private nodes(role: 'all' | 'master'): Redis[] {
    return this.client.isCluster ? (this.client as Cluster).nodes(role) : [this.client as Redis];
  }
}
