import { ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { spawnUntilReady } from './spawn-ready';
import { RedisServer } from './redis-server';
import { pollUntil } from './wait';

const execFileAsync = promisify(execFile);

export interface RedisSentinelGroupOptions {
  /** Number of sentinels; the quorum is 2, so 3 lets one of them be lost. */
  sentinels?: number;
  /** Master group name the sentinels monitor. */
  name?: string;
  /** Bound for starting everything and waiting until the sentinels know each other and the replica. */
  timeoutMs?: number;
}

/**
 * One `redis-sentinel` process on a free loopback port. Sentinel needs a writable
 * config file of its own (it rewrites it), so `RedisServer` does not fit.
 */
class SentinelProcess {
  private process?: ChildProcess;
  readonly host = '127.0.0.1';

  private constructor(
    readonly port: number,
    private readonly configFile: string,
  ) {}

  static async start(dir: string, name: string, master: RedisServer): Promise<SentinelProcess> {
    const port = await freePort();
    const configFile = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      configFile,
      [
        `port ${port}`,
        `bind 127.0.0.1`,
        `protected-mode no`,
        `daemonize no`,
        `dir ${dir}`,
        `sentinel monitor ${name} ${master.host} ${master.port} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        // Also the wait before a sentinel retries a failed election (twice this), so keep it short.
        `sentinel failover-timeout ${name} 2000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new SentinelProcess(port, configFile);
    await sentinel.spawn();
    return sentinel;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Runs `redis-cli` against this sentinel and returns its trimmed output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('redis-cli', ['-h', this.host, '-p', String(this.port), ...args], {
      timeout: 5_000,
    });
    return stdout.trim();
  }

  /** Stops the sentinel (SIGTERM, SIGKILL after 5 s) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.process = undefined;
  }

  private async spawn(): Promise<void> {
    // Ready once the master is being monitored, which is logged after the port is open.
    const { child, ready } = spawnUntilReady('redis-sentinel', [this.configFile], this.port, '+monitor master');
    this.process = child;
    await ready;
  }
}

/**
 * A master, one replica and N sentinels on loopback, tuned so a killed master is
 * replaced in a few seconds (down after 1 s, quorum 2).
 */
export class RedisSentinelGroup {
  private constructor(
    readonly name: string,
    private readonly servers: RedisServer[],
    private readonly sentinelProcesses: SentinelProcess[],
    private readonly dir: string,
  ) {}

  /** The sentinels, for `new Redis({ sentinels, name })`. */
  get sentinels(): { host: string; port: number }[] {
    return this.sentinelProcesses.map((s) => ({ host: s.host, port: s.port }));
  }

  /** Both data nodes, whichever is master now. */
  get all(): readonly RedisServer[] {
    return this.servers;
  }

  static async start({
    sentinels = 3,
    name = 'sf-master',
    timeoutMs = 30_000,
  }: RedisSentinelGroupOptions = {}): Promise<RedisSentinelGroup> {
    if (sentinels < 2) throw new Error(`RedisSentinelGroup needs at least 2 sentinels for quorum 2, got ${sentinels}`);
    const dir = mkdtempSync(join(tmpdir(), 'sf-sentinel-'));
    const servers: RedisServer[] = [];
    const processes: SentinelProcess[] = [];
    const group = new RedisSentinelGroup(name, servers, processes, dir);
    try {
      // Either node may be the master that serves a full sync; by default it would wait 5 s for more replicas.
      const args = ['--repl-diskless-sync-delay', '0'];
      const master = await RedisServer.start({ args });
      servers.push(master);
      servers.push(await RedisServer.start({ args: [...args, '--replicaof', master.host, String(master.port)] }));
      // Sentinels learn replicas from the master's INFO, refreshed only every 10 s:
      // have the replica attached before they first ask.
      await pollUntil('the replica to sync', timeoutMs, async () =>
        /^master_link_status:up\s*$/m.test(await servers[1].cli('INFO', 'replication'))
          ? true
          : 'replica link is not up',
      );
      const started = await Promise.allSettled(
        Array.from({ length: sentinels }, () => SentinelProcess.start(dir, name, master)),
      );
      for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await pollUntil('the sentinels to know each other and the replica', timeoutMs, async () => {
        for (const sentinel of processes) {
          const state = parsePairs(await sentinel.cli('SENTINEL', 'MASTER', name));
          if (state.flags !== 'master') return `sentinel ${sentinel.port} flags the master ${state.flags}`;
          if (state['num-slaves'] !== '1') return `sentinel ${sentinel.port} knows ${state['num-slaves']} replicas`;
          if (state['num-other-sentinels'] !== String(sentinels - 1)) {
            return `sentinel ${sentinel.port} knows ${state['num-other-sentinels']} other sentinels of ${sentinels - 1}`;
          }
        }
        return true;
      });
      return group;
    } catch (error) {
      await group.dispose();
      throw error;
    }
  }

  /** The current master, as the first answering sentinel reports it. */
  async master(): Promise<RedisServer> {
    let last: unknown = new Error('no sentinel is running');
    for (const sentinel of this.sentinelProcesses.filter((s) => s.running)) {
      try {
        return this.server(await this.masterPortFrom(sentinel));
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  /** Kills the current master (SIGKILL), as a crash would, and returns it; see `waitForFailover`. */
  async killMaster(): Promise<RedisServer> {
    const master = await this.master();
    await master.kill();
    return master;
  }

  /**
   * Waits until every sentinel names the other node as master and that node
   * answers `ROLE` as master; returns it.
   */
  async waitForFailover(oldMaster: RedisServer, timeoutMs = 30_000): Promise<RedisServer> {
    return pollUntil(`failover away from ${oldMaster.port}`, timeoutMs, async () => {
      const ports = new Set<number>();
      for (const sentinel of this.sentinelProcesses.filter((s) => s.running))
        ports.add(await this.masterPortFrom(sentinel));
      if (ports.size !== 1) return `sentinels disagree: ${[...ports].join(', ')}`;
      const [port] = ports;
      if (port === oldMaster.port) return `sentinels still name ${port}`;
      const server = this.server(port);
      const role = (await server.cli('ROLE')).split('\n')[0];
      return role === 'master' ? server : `node ${port} answers ROLE ${role}`;
    });
  }

  /** Stops the sentinels first (so they do not react), then the servers, and removes every directory. */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.sentinelProcesses.map((s) => s.stop()));
    await Promise.allSettled(this.servers.map((s) => s.dispose()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async masterPortFrom(sentinel: SentinelProcess): Promise<number> {
    const [, port] = (await sentinel.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)).split('\n');
    const parsed = Number(port);
    if (!Number.isInteger(parsed) || parsed <= 0)
      throw new Error(`sentinel ${sentinel.port} does not know master ${this.name}`);
    return parsed;
  }

  private server(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`sentinels name port ${port}, which is not part of this group`);
    return server;
  }
}

/** Parses `redis-cli` output of a flat field/value reply (one item a line). */
function parsePairs(text: string): Record<string, string> {
  const lines = text.split('\n');
  const pairs: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) pairs[lines[i]] = lines[i + 1];
  return pairs;
}
