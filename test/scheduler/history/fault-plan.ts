import type { FaultKind } from './history-model';
import { RandomDraws } from './random-draws';

/*
 * The fault schedule: a seeded list of faults, one at a time, with quiet gaps between them so that the
 * checker has fault-free stretches to hold the scheduler to "every fire has its outcome". Like the
 * workload, it depends on the seed alone.
 */

export type InjectedFaultKind = Exclude<FaultKind, 'stall'>;

export type RedisTargetKind = 'standalone' | 'cluster';

export interface PlannedFault {
  /** ms from the start of the workload. */
  atMs: number;
  kind: InjectedFaultKind;
  /** Which replica (0–2), for SIGSTOP and SIGKILL; the next live one when it is down. */
  replica?: number;
  /** SIGSTOP until SIGCONT, CLIENT PAUSE, DEBUG SLEEP. */
  durationMs?: number;
}

/** Faults every run injects at least once (in random order), so that a short run still meets each kind. */
const EVERY_RUN: readonly InjectedFaultKind[] = [
  'sigstop',
  'sigstop',
  'sigkill',
  'sigkill',
  // Three restarts: more dead heartbeats than the bound on the replicas hash lets through.
  'sigkill',
  'pubsub-kill',
  'client-pause',
  'debug-sleep',
];

/** The first fault waits for the replicas to settle; the last leaves time for the drain. */
const FIRST_FAULT_MS = 6_000;
const QUIET_END_MS = 10_000;

export function planFaults(random: () => number, durationMs: number, target: RedisTargetKind): PlannedFault[] {
  const draw = new RandomDraws(random);
  const every: InjectedFaultKind[] = target === 'cluster' ? [...EVERY_RUN, 'slot-migration'] : [...EVERY_RUN];
  const mandatory = draw.shuffle(every);
  const faults: PlannedFault[] = [];
  for (let at = FIRST_FAULT_MS; at < durationMs - QUIET_END_MS;) {
    const kind: InjectedFaultKind =
      mandatory.shift() ??
      draw.weighted({
        sigstop: 25,
        sigkill: 15,
        'pubsub-kill': 15,
        'client-pause': 15,
        'debug-sleep': 15,
        'slot-migration': target === 'cluster' ? 15 : 0,
      });
    const fault = faultOf(draw, kind, at, target);
    faults.push(fault);
    // Closer together until every kind has come (so that they all fit in the CI length), then sparser.
    at += (fault.durationMs ?? 1_000) + (mandatory.length > 0 ? draw.int(6_000, 10_000) : draw.int(8_000, 16_000));
  }
  return faults;
}

function faultOf(draw: RandomDraws, kind: InjectedFaultKind, atMs: number, target: RedisTargetKind): PlannedFault {
  switch (kind) {
    case 'sigstop':
      return { atMs, kind, replica: draw.int(0, 2), durationMs: draw.int(200, 5_000) };
    case 'sigkill':
      return { atMs, kind, replica: draw.int(0, 2) };
    case 'client-pause':
      return { atMs, kind, durationMs: draw.int(200, 3_000) };
    // A cluster node asleep past its node timeout (1 s in the harness) would be failed over: not this fault.
    case 'debug-sleep':
      return { atMs, kind, durationMs: draw.int(100, target === 'cluster' ? 600 : 2_000) };
    case 'pubsub-kill':
    case 'slot-migration':
      return { atMs, kind };
  }
}
