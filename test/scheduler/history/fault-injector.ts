import { performance } from 'node:perf_hooks';
import type { InjectedFaultKind, PlannedFault } from './fault-plan';
import type { HistoryTarget } from './history-target';
import type { ReplicaFleet } from './replica-fleet';

/*
 * Plays the fault plan, one fault at a time: SIGSTOP/SIGCONT and SIGKILL (with a restart) of a replica,
 * and, on Redis, CLIENT KILL TYPE pubsub, CLIENT PAUSE, DEBUG SLEEP and (cluster) a slot migration of the
 * namespace. Each is recorded from just before it was sent to just after its effect surely ended, on this
 * process's `performance.now()`.
 */

export interface InjectedFault {
  kind: InjectedFaultKind;
  /** The replica it hit, for SIGSTOP and SIGKILL. */
  instanceId?: string;
  beganAt: number;
  endedAt: number;
  detail: string;
  /** What went wrong injecting it: it did not happen, or not as planned (a slot migration Redis refused). */
  error?: string;
}

export class FaultInjector {
  readonly faults: InjectedFault[] = [];

  constructor(
    private readonly fleet: ReplicaFleet,
    private readonly target: HistoryTarget,
    private readonly namespace: string,
    private readonly plan: readonly PlannedFault[],
  ) {}

  /** Injects each fault at `startedAt + atMs` (or when the one before it is over). */
  async run(startedAt: number): Promise<void> {
    for (const planned of this.plan) {
      await sleep(startedAt + planned.atMs - performance.now());
      const beganAt = performance.now();
      try {
        const done = await this.inject(planned);
        if (done) this.faults.push({ kind: planned.kind, beganAt, endedAt: performance.now(), ...done });
      } catch (error) {
        const message = (error as Error).message.split('\n')[0];
        this.faults.push({ kind: planned.kind, beganAt, endedAt: performance.now(), detail: 'failed', error: message });
      }
    }
  }

  /** Injects one fault and waits until it is over; undefined when no replica was up to take it. */
  private async inject(
    planned: PlannedFault,
  ): Promise<Pick<InjectedFault, 'instanceId' | 'detail' | 'error'> | undefined> {
    const ms = planned.durationMs ?? 0;
    switch (planned.kind) {
      case 'sigstop': {
        const victim = this.fleet.pickRunning(planned.replica ?? 0);
        if (!victim) return undefined;
        this.fleet.stop(victim);
        await sleep(ms);
        this.fleet.cont(victim);
        return { instanceId: victim.instanceId, detail: `${victim.instanceId} stopped ${ms} ms` };
      }
      case 'sigkill': {
        const victim = this.fleet.pickRunning(planned.replica ?? 0);
        if (!victim) return undefined;
        await this.fleet.kill(victim);
        return { instanceId: victim.instanceId, detail: `${victim.instanceId} killed, restarting` };
      }
      case 'pubsub-kill':
        return { detail: `${await this.target.killPubSub()} subscriber connections closed` };
      case 'client-pause':
        await this.target.pause(this.namespace, ms);
        await sleep(ms);
        return { detail: `CLIENT PAUSE ${ms} ALL` };
      case 'debug-sleep':
        await this.target.sleep(this.namespace, ms);
        return { detail: `DEBUG SLEEP ${(ms / 1000).toFixed(3)}` };
      case 'slot-migration': {
        const { detail, refused } = await this.target.migrateNamespace(this.namespace);
        return { detail, error: refused.length > 0 ? `MIGRATE refused ${refused.join('; ')}` : undefined };
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
}
