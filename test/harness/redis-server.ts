import { ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { spawnUntilReady } from './spawn-ready';

const execFileAsync = promisify(execFile);

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--requirepass', 'secret']`. */
  args?: string[];
  /** Port to listen on; a free one when absent. */
  port?: number;
  /** Password for the harness's own `redis-cli` calls. */
  password?: string;
  /**
   * Serve TLS only: `port` becomes the TLS port (plain TCP is off), and the
   * harness's `redis-cli` calls verify the server against `caFile`.
   */
  tls?: RedisTlsFiles;
  /** Files or directories this server owns besides its own dir (e.g. its certificates), removed by `dispose()`. */
  removeOnDispose?: string[];
}

/** PEM files for a TLS-only server; clients are not asked for certificates. */
interface RedisTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/**
 * A private `redis-server` process on a free loopback port, without persistence,
 * so a restart always comes back empty.
 */
export class RedisServer {
  private process?: ChildProcess;
  private paused = false;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
    private readonly dir: string,
  ) {}

  readonly host = '127.0.0.1';

  get url(): string {
    return `${this.options.tls ? 'rediss' : 'redis'}://${this.host}:${this.port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'sf-redis-'));
    const server = new RedisServer(port, options, dir);
    await server.spawn();
    return server;
  }

  /** Runs `redis-cli` against this server and returns its trimmed output. */
  async cli(...args: string[]): Promise<string> {
    const auth = this.options.password ? ['--no-auth-warning', '-a', this.options.password] : [];
    const tls = this.options.tls ? ['--tls', '--cacert', this.options.tls.caFile] : [];
    const { stdout } = await execFileAsync('redis-cli', [
      '-h',
      this.host,
      '-p',
      String(this.port),
      ...tls,
      ...auth,
      ...args,
    ]);
    return stdout.trim();
  }

  /** The `connected_clients` of `INFO clients`. */
  async connectedClients(): Promise<number> {
    const info = await this.cli('INFO', 'clients');
    const match = /connected_clients:(\d+)/.exec(info);
    if (!match) throw new Error(`no connected_clients in INFO clients: ${info}`);
    return Number(match[1]);
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Stops the server (SIGTERM) and waits until it has exited. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  /** Kills the server (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** Freezes the server (SIGSTOP): its sockets stay open and nothing answers, as on a hung host. */
  pause(): void {
    if (!this.process || !this.running) return;
    this.process.kill('SIGSTOP');
    this.paused = true;
  }

  /** Lets a paused server go on (SIGCONT). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.process?.kill('SIGCONT');
  }

  /** Starts the server again on the same port, empty. */
  async start(): Promise<void> {
    if (!this.running) await this.spawn();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes its working directory. */
  async dispose(): Promise<void> {
    await this.stop();
    for (const path of [this.dir, ...(this.options.removeOnDispose ?? [])])
      rmSync(path, { recursive: true, force: true });
  }

  private async spawn(): Promise<void> {
    const tls = this.options.tls;
    const args = [
      ...(tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(this.port),
            '--tls-cert-file',
            tls.certFile,
            '--tls-key-file',
            tls.keyFile,
            '--tls-ca-cert-file',
            tls.caFile,
            '--tls-auth-clients',
            'no',
          ]
        : ['--port', String(this.port)]),
      '--bind',
      this.host,
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--enable-debug-command',
      'yes',
      ...(this.options.args ?? []),
    ];
    const { child, ready } = spawnUntilReady('redis-server', args, this.port, 'Ready to accept connections');
    this.process = child;
    await ready;
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // A stopped process takes SIGTERM only once it runs again.
    this.resume();
    await exited;
    this.process = undefined;
  }
}
