import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ReplicaProcess } from '../../harness/replica-process';
import type { HistoryReplicaConfig } from './history-replica-protocol';

/*
 * The 3 replica processes of a history run, by slot. A slot killed with SIGKILL comes back as a new
 * incarnation with a new instance id (as a restarted pod with a generated id would), booting in the
 * background. Every incarnation is kept, dead or alive: its events are part of the history.
 */

const SCRIPT = join(__dirname, 'fixtures', 'history-replica.js');
/** Three Nest apps booting at once on 2 shared cores. */
const READY_TIMEOUT_MS = 60_000;
/** A slot whose replicas keep failing to boot is given up on (the run then fails waiting for it). */
const MAX_BOOT_FAILURES = 3;

export interface Incarnation {
  slot: number;
  instanceId: string;
  process: ReplicaProcess;
  ready: boolean;
  /** SIGSTOPped right now. */
  stopped: boolean;
  /** Killed by the test (a fault or the end of the run): its exit is no crash. */
  killedOnPurpose: boolean;
  /** `performance.now()` of this process when the exit was noticed. */
  exitSeenAt?: number;
  bootError?: string;
}

export class ReplicaFleet {
  readonly incarnations: Incarnation[] = [];
  private readonly current: Incarnation[] = [];
  private readonly watcher: NodeJS.Timeout;
  private closing = false;

  /**
   * @param configOf the configuration of a new incarnation, by instance id
   * @param faketimeOf the faketime offset (`'+40s'`) of a slot's replicas, if any
   */
  constructor(
    private readonly configOf: (instanceId: string) => HistoryReplicaConfig,
    private readonly faketimeOf: (slot: number) => string | undefined,
  ) {
    // An exit is noticed within 100 ms (ReplicaProcess offers no exit callback).
    this.watcher = setInterval(() => {
      for (const incarnation of this.incarnations)
        if (incarnation.exitSeenAt === undefined && !incarnation.process.running)
          incarnation.exitSeenAt = performance.now();
    }, 100);
    this.watcher.unref();
  }

  /** Starts the 3 slots at once; resolves when all are ready (a replica that fails to boot is started again). */
  async start(): Promise<void> {
    await Promise.all([0, 1, 2].map((slot) => this.spawn(slot)));
  }

  /** The slot's replica if it is up (stopped or not), else the next slot's that is. */
  pick(slot: number): Incarnation | undefined {
    for (let i = 0; i < 3; i++) {
      const incarnation = this.current[(slot + i) % 3];
      if (incarnation?.ready && incarnation.process.running) return incarnation;
    }
    return undefined;
  }

  /** The slot's replica if it is up and not stopped, else the next such one. */
  pickRunning(slot: number): Incarnation | undefined {
    for (let i = 0; i < 3; i++) {
      const incarnation = this.pick((slot + i) % 3);
      if (incarnation && !incarnation.stopped) return incarnation;
    }
    return undefined;
  }

  /** SIGSTOP of the replica's node process (not faketime's wrapper). */
  stop(incarnation: Incarnation): void {
    incarnation.stopped = true;
    process.kill(this.pidOf(incarnation), 'SIGSTOP');
  }

  cont(incarnation: Incarnation): void {
    process.kill(this.pidOf(incarnation), 'SIGCONT');
    incarnation.stopped = false;
  }

  /** SIGKILL; resolves once it has exited, with the new incarnation of its slot booting meanwhile. */
  async kill(incarnation: Incarnation): Promise<void> {
    incarnation.killedOnPurpose = true;
    await incarnation.process.kill('SIGKILL');
    void this.spawn(incarnation.slot);
  }

  /** Waits until every slot has a ready replica (restarts included). */
  async settle(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.current.some((incarnation) => !incarnation.ready || !incarnation.process.running)) {
      if (performance.now() > deadline) throw new Error('the replicas did not all come back up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get liveCount(): number {
    return this.current.filter((incarnation) => incarnation.ready && incarnation.process.running).length;
  }

  /** Kills every replica (the end of the run), and stops watching. */
  async killAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.watcher);
    for (const incarnation of this.incarnations) if (incarnation.process.running) incarnation.killedOnPurpose = true;
    await Promise.all(this.incarnations.map((incarnation) => incarnation.process.kill('SIGKILL')));
  }

  private async spawn(slot: number): Promise<void> {
    const generation = this.incarnations.filter((incarnation) => incarnation.slot === slot).length + 1;
    const instanceId = generation === 1 ? `r${slot + 1}` : `r${slot + 1}-${generation}`;
    const process = ReplicaProcess.spawn({
      name: instanceId,
      script: SCRIPT,
      env: { SF_HISTORY_REPLICA: JSON.stringify(this.configOf(instanceId)) },
      faketime: this.faketimeOf(slot),
    });
    const incarnation: Incarnation = {
      slot,
      instanceId,
      process,
      ready: false,
      stopped: false,
      killedOnPurpose: false,
    };
    this.incarnations.push(incarnation);
    this.current[slot] = incarnation;
    try {
      await process.waitFor('ready', () => true, READY_TIMEOUT_MS);
      incarnation.ready = true;
    } catch (error) {
      // Recorded as a crash; the slot gets another replica (unless the run is over).
      incarnation.bootError = (error as Error).message.split('\n')[0];
      incarnation.killedOnPurpose = true;
      await process.kill('SIGKILL');
      const failures = this.incarnations.filter((other) => other.slot === slot && other.bootError).length;
      if (!this.closing && failures < MAX_BOOT_FAILURES) await this.spawn(slot);
    }
  }

  private pidOf(incarnation: Incarnation): number {
    const spawned = incarnation.process.eventsOf('spawned')[0];
    if (typeof spawned?.pid !== 'number') throw new Error(`${incarnation.instanceId}: no pid yet`);
    return spawned.pid;
  }
}
