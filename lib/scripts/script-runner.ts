import type { Cluster, Redis } from 'ioredis';
import { isNoScriptError } from '../errors/redis-error.mapper';
import { LuaScript, readLuaScript } from './lua-script';
import { SCRIPT_NAMES, ScriptName } from './script-names';

type RedisClient = Redis | Cluster;

/**
 * Runs the library's Lua scripts by SHA. A `NOSCRIPT` reply (restart, failover, `SCRIPT FLUSH`)
 * means the script did not run, so it is sent again with its source, which also caches it.
 */
export class ScriptRunner {
  private readonly scripts: Record<ScriptName, LuaScript>;

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

  /** `SCRIPT LOAD` of every script on every node that runs them (every master of a cluster). */
  async preload(): Promise<void> {
    await Promise.all(
      this.nodes().flatMap((node) => SCRIPT_NAMES.map((name) => node.script('LOAD', this.scripts[name].source))),
    );
  }

  /** Whether every script is in the cache of every node that runs them. */
  async loaded(): Promise<boolean> {
    const shas = SCRIPT_NAMES.map((name) => this.scripts[name].sha);
    const replies = await Promise.all(this.nodes().map((node) => node.script('EXISTS', ...shas) as Promise<number[]>));
    return replies.every((flags) => flags.every((flag) => flag === 1));
  }

  private nodes(): Redis[] {
    return 'nodes' in this.client && typeof this.client.nodes === 'function' && this.client.isCluster
      ? this.client.nodes('master')
      : [this.client as Redis];
  }
}
