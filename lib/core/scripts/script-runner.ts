import type { Cluster, Redis } from 'ioredis';
import { isNoScriptError } from '../errors/redis-error.mapper';
import { LuaScript, readLuaScript } from './lua-script';
import { SCRIPT_NAMES, ScriptName } from '../../routing/routing-script-names';

type RedisClient = Redis | Cluster;

/**
 * Runs the library's Lua scripts by SHA. A `NOSCRIPT` reply (restart, failover, `SCRIPT FLUSH`)
 * means the script did not run, so it is sent again with its source, which also caches it.
 */
export class ScriptRunner {
  private readonly scripts: Record<ScriptName, LuaScript>;
  private watchingNewNodes = false;

  constructor(private readonly client: RedisClient) {
    this.scripts = Object.fromEntries(SCRIPT_NAMES.map((name) => [name, readLuaScript(name)])) as Record<ScriptName, LuaScript>;
  }

  run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    const script = this.scripts[name];
    return this.client.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
      if (!isNoScriptError(error)) throw error;
      return this.client.eval(script.source, keys.length, ...keys, ...args);
    });
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
    const shas = SCRIPT_NAMES.map((name) => this.scripts[name].sha);
    const replies = await Promise.all(this.nodes('master').map((node) => node.script('EXISTS', ...shas) as Promise<number[]>));
    return replies.every((flags) => flags.every((flag) => flag === 1));
  }

  private async loadInto(node: Redis): Promise<void> {
    await Promise.all(SCRIPT_NAMES.map((name) => node.script('LOAD', this.scripts[name].source)));
  }

  private nodes(role: 'all' | 'master'): Redis[] {
    return this.client.isCluster ? (this.client as Cluster).nodes(role) : [this.client as Redis];
  }
}
