import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/free-port';
import { spawnUntilReady } from '../../harness/spawn-ready';

/*
 * A redis-server whose clock (TIME, and so the scheduler's) is faked by libfaketime: it starts at an absolute
 * instant and runs `speed` times faster than real time, so that a test can watch a DST transition of 2027 go
 * by in seconds.
 *
 * `faketime redis-server` alone does not start (it hangs in its first malloc): Debian's redis-server allocates
 * with jemalloc (libjemalloc.so.2), whose initialisation reads the clock, which libfaketime intercepts before it
 * is initialised itself; libfaketime's initialisation looks a symbol up with dlsym, whose error message is
 * malloc'ed, which re-enters jemalloc's initialisation and blocks on its own lock. Preloading glibc's
 * libc_malloc_debug.so.0 ahead of both gives redis-server glibc's malloc, so jemalloc is never initialised
 * from inside libfaketime (Redis's own accounting uses malloc_usable_size, which the same library provides).
 * FAKETIME_DONT_FAKE_MONOTONIC=1 keeps Redis's monotonic clock (its timers) real. libfaketime also divides every
 * sleep by the speed-up, epoll_wait's timeout included (100 ms at x120 is 0 ms): a faked process whose next timer
 * is near spins. Redis runs at `--hz 1` (its cron once a real second: an 8 ms wait), which keeps it near idle.
 */

/** `name` in the library directories (and their per-architecture subdirectories, `/<triplet>/`, then `/<sub>/`). */
function findLibrary(name: string, sub = ''): string | undefined {
  const candidates: string[] = [];
  for (const dir of ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib']) {
    if (!existsSync(dir)) continue;
    candidates.push(join(dir, sub, name));
    for (const entry of readdirSync(dir)) candidates.push(join(dir, entry, sub, name));
  }
  return candidates.find((path) => existsSync(path));
}

/** libfaketime's preload library (Debian: /usr/lib/<triplet>/faketime/libfaketime.so.1). */
function libfaketimePath(): string {
  const found = findLibrary('libfaketime.so.1', 'faketime');
  if (!found) throw new Error('libfaketime.so.1 not found in the library directories: install faketime');
  return found;
}

/** glibc's malloc as a preload library (glibc >= 2.34; Debian: /lib/<triplet>/libc_malloc_debug.so.0), if any. */
function glibcMallocPath(): string | undefined {
  return findLibrary('libc_malloc_debug.so.0');
}

/** libfaketime's spec for a clock at `fakeMs` (whole seconds, UTC) running `speed` times faster: `@… x<speed>`. */
export function faketimeSpec(fakeMs: number, speed: number): string {
  const iso = new Date(Math.floor(fakeMs / 1000) * 1000).toISOString();
  return `@${iso.slice(0, 10)} ${iso.slice(11, 19)} x${speed}`;
}

/** What every faked process of these tests needs besides FAKETIME: UTC for the `@` date, real monotonic clocks. */
export const FAKETIME_ENV = { TZ: 'UTC', FAKETIME_DONT_FAKE_MONOTONIC: '1' } as const;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class FakeTimeRedisServer {
  readonly host = '127.0.0.1';

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  /** Starts redis-server with its clock at `fakeStartMs` (UTC, whole seconds), running `speed` times real time. */
  static async start(fakeStartMs: number, speed: number): Promise<FakeTimeRedisServer> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sf-faketime-redis-'));
    const preload = [glibcMallocPath(), libfaketimePath()].filter((path) => path !== undefined).join(':');
    const env = Object.entries({ ...FAKETIME_ENV, LD_PRELOAD: preload, FAKETIME: faketimeSpec(fakeStartMs, speed) });
    // `env` execs redis-server: the child is redis-server itself (a signal to it reaches the server).
    const { child, ready } = spawnUntilReady(
      'env',
      [
        ...env.map(([name, value]) => `${name}=${value}`),
        'redis-server',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--hz',
        '1',
      ],
      port,
      'Ready to accept connections',
    );
    live.add(child);
    child.once('exit', () => live.delete(child));
    const server = new FakeTimeRedisServer(port, child, dir);
    try {
      await ready;
    } catch (error) {
      await server.dispose();
      throw error;
    }
    return server;
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
