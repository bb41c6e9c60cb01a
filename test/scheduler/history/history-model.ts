import type { OverlapPolicy, ScheduledRunKind } from '../../../lib';

/*
 * The recorded history of one fault-injection run, every time on Redis's clock: what the checker
 * (history-checker.ts) reads. Nothing here refers to a process's own clock.
 */

/** An instant known only to lie in `[lo, hi]`: ms of Redis's clock (fractions from TIME's µs). */
export interface RedisInterval {
  lo: number;
  hi: number;
}

export type ApiOp = 'addTask' | 'updateTask' | 'enableTask' | 'disableTask' | 'removeTask' | 'triggerTask';

/** What a call asks to set on its task (from the workload plan, not from the reply). */
export interface CallIntent {
  /** The payload version the call writes (`addTask`, or `updateTask` with a new payload). */
  version?: number;
  cron?: string;
  overlap?: OverlapPolicy;
  enabled?: boolean;
}

/** Error codes that prove a call wrote nothing (the others may come after a write, or before a late one). */
export const NOTHING_WRITTEN_CODES: ReadonlySet<string> = new Set([
  'INVALID_PARAMETER',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CLUSTER_RESHARDING',
  'NOT_INITIALIZED',
]);

/** One API call made by a replica, from its start to its answer. */
export interface ApiCallRecord {
  callId: number;
  taskId: string;
  op: ApiOp;
  instanceId: string;
  begin: RedisInterval;
  /** `null`: no answer ever came (its replica was killed). */
  end: RedisInterval | null;
  /** `error` with a code that proves nothing was written counts as a call that did nothing (see `settledBy`). */
  outcome: 'ok' | 'error' | 'unknown';
  errorCode?: string;
  /** The reply, abridged (`removeTask`'s boolean, a task's `enabled` and `version`). */
  result?: unknown;
  /** Redis time after which the call cannot take effect any more (later than `end` when it may still be in flight). */
  settledBy: number;
  intent: CallIntent;
}

/** One handler call (an attempt that started), from the replica that ran it. */
export interface RunRecord {
  taskId: string;
  scheduledAt: number;
  /** Why it ran (`ScheduledRunContext.kind`); absent in hand-made histories: a fire of the schedule or a retry. */
  kind?: ScheduledRunKind;
  attempt: number;
  fencingToken: number;
  instanceId: string;
  /** The payload version the handler was given. */
  version: number | null;
  start: RedisInterval;
  /** `null`: the handler never ended (its replica was killed, or it still ran at the end). */
  end: RedisInterval | null;
  outcome: 'returned' | 'threw' | null;
  /** When its signal aborted, if it did. */
  abortedAt: RedisInterval | null;
}

/** Faults: injected ones, and stalls a replica noticed in its own event loop (a pause all the same). */
export type FaultKind =
  'sigstop' | 'sigkill' | 'pubsub-kill' | 'client-pause' | 'debug-sleep' | 'slot-migration' | 'stall';

export interface FaultRecord {
  kind: FaultKind;
  /** The replica it hit; absent for faults of Redis (every replica). */
  instanceId?: string;
  /** From the first moment it may have acted to the last. */
  window: RedisInterval;
  detail: string;
}

/** One entry of `getRuns` read at the end. */
export interface OutcomeEntry {
  scheduledAt: number;
  attempt: number;
  status: string;
  instanceId: string | null;
  /** Redis's time of the run's start as recorded: when Redis decided that it starts (claim or confirmation). */
  startedAt?: number | null;
}

/** The namespace's keys after the run. */
export interface KeyCensus {
  keys: number;
  /** Sum over the keys of their element count (fields, members, entries; 1 for a string). */
  elements: number;
  /** Fields of the replicas' heartbeat hash; `null` when no such hash was found. */
  replicasHash: number | null;
  liveReplicas: number;
  /** Tasks listed at the end. */
  tasks: number;
}

export interface History {
  settings: { leaseMs: number; lookAheadMs: number; historyLength: number };
  /** Redis time of the first planned operation and of the end of the workload (faults stop before it). */
  window: { start: number; end: number };
  calls: ApiCallRecord[];
  runs: RunRecord[];
  faults: FaultRecord[];
  /** `getRuns(id, historyLength)` of every task listed at the end, by task id. */
  outcomes: Record<string, OutcomeEntry[]>;
  /** Unhandled rejections, uncaught exceptions and exits nobody asked for, in any process. */
  crashes: string[];
  /** How many processes were watched for crashes (replica incarnations and the test process). */
  processes: number;
  keys: KeyCensus;
}
