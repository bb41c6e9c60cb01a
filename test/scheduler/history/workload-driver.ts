import { performance } from 'node:perf_hooks';
import type { ReplicaEvent } from '../../harness/replica-process';
import { NOTHING_WRITTEN_CODES } from './history-model';
import type { ApiCommand, ApiEvent } from './history-replica-protocol';
import type { Incarnation, ReplicaFleet } from './replica-fleet';
import type { PlannedOp } from './workload-plan';

/*
 * Plays the workload plan: each call at its time, through the replica the plan names (the next one up if it
 * is down). Calls on one task go one after the other, so that the order of a task's changes is the order of
 * its calls; a call whose outcome is in doubt (its replica died, or an error that may follow a write) holds
 * the task's next call back long enough for it to have settled either way.
 */

/** Longer than any Redis pause of the fault plan plus a command's time in flight. */
export const IN_DOUBT_SETTLE_MS = 6_000;
/** A call on a replica stopped for 5 s, with Redis paused on top, still answers within this. */
const ANSWER_TIMEOUT_MS = 60_000;

/** One call as the driver made it: the replica's events say when it began and ended. */
export interface DrivenCall {
  callId: number;
  planned: PlannedOp;
  /** Undefined when no replica was up to make it. */
  incarnation?: Incarnation;
  /** `performance.now()` (this process) when the command was sent. */
  sentAt: number;
}

export class WorkloadDriver {
  readonly calls: DrivenCall[] = [];
  /** api-end events by call id, per replica process, gathered as they come. */
  private readonly answers = new Map<Incarnation, { seen: number; ends: Map<number, ApiEvent> }>();

  constructor(
    private readonly fleet: ReplicaFleet,
    private readonly plan: readonly PlannedOp[],
  ) {}

  /** Plays every call, each at `startedAt + atMs` (`performance.now()`); resolves when all have settled. */
  async run(startedAt: number): Promise<void> {
    const chains = new Map<string, Promise<void>>();
    for (const op of this.plan) {
      const previous = chains.get(op.taskId) ?? Promise.resolve();
      chains.set(
        op.taskId,
        previous.then(async () => {
          await sleepUntil(startedAt + op.atMs);
          await this.play(op);
        }),
      );
    }
    await Promise.all(chains.values());
  }

  private async play(planned: PlannedOp): Promise<void> {
    const callId = this.calls.length + 1;
    const incarnation = this.fleet.pick(planned.replica);
    const call: DrivenCall = { callId, planned, incarnation, sentAt: performance.now() };
    this.calls.push(call);
    if (!incarnation) return;
    const command: ApiCommand = {
      cmd: 'api',
      callId,
      op: planned.op,
      taskId: planned.taskId,
      input: planned.input,
      patch: planned.patch,
    };
    incarnation.process.send({ ...command });
    let end: ApiEvent | undefined;
    try {
      end = await incarnation.process.waitUntil(`the answer to call ${callId}`, ANSWER_TIMEOUT_MS, () =>
        this.answerOf(incarnation, callId),
      );
    } catch {
      // The replica died (or never answered): the outcome is in doubt.
    }
    if (!end || (!end.ok && !NOTHING_WRITTEN_CODES.has(end.code ?? ''))) await sleep(IN_DOUBT_SETTLE_MS);
  }

  private answerOf(incarnation: Incarnation, callId: number): ApiEvent | undefined {
    let answers = this.answers.get(incarnation);
    if (!answers) this.answers.set(incarnation, (answers = { seen: 0, ends: new Map() }));
    const events: ReplicaEvent[] = incarnation.process.events;
    for (; answers.seen < events.length; answers.seen++) {
      const event = events[answers.seen];
      if (event.event === 'api-end') answers.ends.set(Number(event.callId), event as unknown as ApiEvent);
    }
    return answers.ends.get(callId);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));
}

function sleepUntil(localTime: number): Promise<void> {
  return sleep(localTime - performance.now());
}
