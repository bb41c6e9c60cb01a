import { ChildProcess, spawn } from 'node:child_process';

/** One JSON line a replica printed on stdout, with the time (this process's clock) it arrived. */
export interface ReplicaEvent {
  event: string;
  receivedAt: number;
  [field: string]: unknown;
}

export interface ReplicaStartOptions {
  /** A label for messages, e.g. `replica-2`. */
  name: string;
  /** The compiled script (`.js`) run with `node`. */
  script: string;
  /** Extra environment variables (the parent's environment is passed too). */
  env?: Record<string, string>;
  /** Run under `faketime -f <offset>` (e.g. `'+40s'`): the replica's clock is off by that much. */
  faketime?: string;
  /** Bound for the `ready` line; default 30 s (several replicas booting at once share 2 cores). */
  readyTimeoutMs?: number;
}

/** How a replica process ended. */
export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every replica not yet exited, killed when the test process exits, whatever the reason. */
const live = new Set<ReplicaProcess>();
process.once('exit', () => {
  for (const replica of live) replica.killAtOnce();
});

/**
 * A replica as a separate `node` process (optionally under `faketime`). Protocol: the child prints one JSON
 * object per line on stdout (`{"event":"spawned","pid":…}` first, `{"event":"ready",…}` once it is up); it
 * reads JSON commands, one per line, on stdin, and exits at once when stdin closes, so that a test process
 * that dies leaves no replica behind.
 */
export class ReplicaProcess {
  readonly events: ReplicaEvent[] = [];
  /** Everything that was not a JSON line (stderr included), for failure messages. */
  private diagnostics = '';
  /** The pid of `node` itself: `faketime` forks it, so signalling the wrapper would not reach it. */
  private nodePid?: number;
  private readonly exit: Promise<ReplicaExit>;
  private exitInfo?: ReplicaExit;
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    live.add(this);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        this.notify();
        resolve(this.exitInfo);
      });
    });
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        this.accept(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.keepDiagnostics(chunk));
    // A write to a replica that just died must not become an uncaught EPIPE.
    child.stdin?.on('error', () => undefined);
  }

  /** Spawns the replica and waits for its `ready` line (it is killed if that does not come). */
  static async start(options: ReplicaStartOptions): Promise<ReplicaProcess> {
    const replica = ReplicaProcess.spawn(options);
    try {
      await replica.waitFor('ready', () => true, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      await replica.kill('SIGKILL');
      throw error;
    }
    return replica;
  }

  /** Spawns the replica and returns at once (see `waitFor('ready')`). */
  static spawn(options: ReplicaStartOptions): ReplicaProcess {
    const node = [process.execPath, '--enable-source-maps', options.script];
    const [command, ...args] = options.faketime ? ['faketime', '-f', options.faketime, ...node] : node;
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const replica = new ReplicaProcess(options.name, child);
    if (!options.faketime) replica.nodePid = child.pid;
    child.once('error', (error) => replica.keepDiagnostics(`spawn failed: ${error.message}\n`));
    return replica;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Events named `event`, optionally filtered. */
  eventsOf(event: string, filter: (e: ReplicaEvent) => boolean = () => true): ReplicaEvent[] {
    return this.events.filter((e) => e.event === event && filter(e));
  }

  /** Resolves with the first event (already received or coming) named `event` that passes `filter`. */
  waitFor(event: string, filter: (e: ReplicaEvent) => boolean, timeoutMs: number): Promise<ReplicaEvent> {
    return this.waitUntil(`${this.name}: a "${event}" event`, timeoutMs, () => this.eventsOf(event, filter)[0]);
  }

  /**
   * Resolves with `check()`'s first defined result, re-checked on every event and on exit; rejects after
   * `timeoutMs`, or when the replica exits first (with its output).
   */
  waitUntil<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        settle();
      };
      const listener = () => {
        const result = check();
        if (result !== undefined) done(() => resolve(result));
        else if (!this.running)
          done(() => reject(new Error(`${what}: the replica exited first (${this.describeExit()})\n${this.output()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.output()}`))),
        timeoutMs,
      );
      this.listeners.add(listener);
      listener();
    });
  }

  /** Sends one JSON command line to the replica's stdin. */
  send(command: Record<string, unknown>): void {
    if (this.running) this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Sends `signal` to the replica's node process; resolves once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ReplicaExit> {
    if (this.running) {
      // Before the `spawned` line of a faketime'd replica only the wrapper is known: it takes node along (stdin closes).
      if (this.nodePid === undefined) this.killAtOnce();
      else signalPid(this.nodePid, signal);
    }
    return this.exit;
  }

  /** Resolves once the replica has exited, or rejects after `timeoutMs` (the replica is left running). */
  async exited(timeoutMs: number): Promise<ReplicaExit> {
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exit, overdue]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL to node and to its wrapper, synchronously (for `exit` handlers and cleanup). */
  killAtOnce(): void {
    if (this.nodePid !== undefined) signalPid(this.nodePid, 'SIGKILL');
    this.child.stdin?.destroy();
    this.child.kill('SIGKILL');
  }

  /** The replica's non-JSON output and its last events, for failure messages. */
  output(): string {
    const lastEvents = this.events.slice(-15).map((e) => JSON.stringify(e));
    return [
      `--- ${this.name} output ---`,
      this.diagnostics.slice(-4_000),
      `--- ${this.name} last events ---`,
      ...lastEvents,
    ].join('\n');
  }

  private describeExit(): string {
    return this.exitInfo ? `code ${this.exitInfo.code}, signal ${this.exitInfo.signal}` : 'running';
  }

  private accept(line: string): void {
    let parsed: unknown;
    try {
      parsed = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as { event?: unknown }).event !== 'string') {
      this.keepDiagnostics(`${line}\n`);
      return;
    }
    const event: ReplicaEvent = { ...(parsed as ReplicaEvent), receivedAt: Date.now() };
    if (event.event === 'spawned' && typeof event.pid === 'number') this.nodePid = event.pid;
    this.events.push(event);
    this.notify();
  }

  private keepDiagnostics(text: string): void {
    this.diagnostics = (this.diagnostics + text).slice(-20_000);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Replicas started by one test file: started together, their events seen together, and every one
 * of them killed by `stopAll()` (call it in `after`/`afterEach`, so that a failed test leaves none).
 */
export class ReplicaGroup {
  readonly replicas: ReplicaProcess[] = [];

  /** Starts replicas at once (in parallel) and waits until every one is ready. */
  async start(...options: ReplicaStartOptions[]): Promise<ReplicaProcess[]> {
    const spawned = options.map((o) => ReplicaProcess.spawn(o));
    this.replicas.push(...spawned);
    await Promise.all(
      spawned.map((replica, i) => replica.waitFor('ready', () => true, options[i].readyTimeoutMs ?? 30_000)),
    );
    return spawned;
  }

  /** Every event of every replica, each with the replica's name, in arrival order. */
  events(event?: string): Array<ReplicaEvent & { replica: string }> {
    return this.replicas
      .flatMap((replica) => replica.events.map((e) => ({ ...e, replica: replica.name })))
      .filter((e) => event === undefined || e.event === event)
      .sort((a, b) => a.receivedAt - b.receivedAt);
  }

  /** Kills every replica still running (SIGKILL) and waits until all have exited. */
  async stopAll(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.kill('SIGKILL')));
    this.replicas.length = 0;
  }

  /** Every replica's output, for failure messages. */
  output(): string {
    return this.replicas.map((replica) => replica.output()).join('\n');
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: it has exited already.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
