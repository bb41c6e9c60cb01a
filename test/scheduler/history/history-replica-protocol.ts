import type { AddTaskInput, DistributedScheduleModuleOptions, ScheduledRunKind, UpdateTaskPatch } from '../../../lib';
import type { ApiOp } from './history-model';
import type { TaskPayload } from './task-payload';

/*
 * Between the test and a replica of fixtures/history-replica.ts: its configuration (JSON in the environment
 * variable SF_HISTORY_REPLICA), the commands it reads on stdin, and the events it prints on stdout. Every
 * local time is the replica's `performance.now()`; `clock` events let the test turn them into Redis time.
 */

export interface HistoryReplicaConfig {
  instanceId: string;
  namespace: string;
  /** A standalone Redis URL, or the nodes of a cluster. */
  redis?: string;
  cluster?: Array<{ host: string; port: number }>;
  /** The node whose TIME the replica samples, on a plain connection of its own (a cluster too: one clock). */
  timeNode: { host: string; port: number };
  module: Omit<DistributedScheduleModuleOptions, 'namespace' | 'instanceId'>;
  workflows: readonly string[];
}

/** `{"cmd":"api",…}`: make one call of the service and report it (`api-begin`, `api-end`). */
export interface ApiCommand {
  cmd: 'api';
  callId: number;
  op: ApiOp;
  taskId: string;
  input?: AddTaskInput<TaskPayload>;
  patch?: UpdateTaskPatch<TaskPayload>;
}

/** `{"cmd":"read"}`: report every task and its whole history (`final`). */
export interface ReadCommand {
  cmd: 'read';
  historyLength: number;
}

export interface ClockEvent {
  event: 'clock';
  sentAt: number;
  /** Not `receivedAt`: ReplicaProcess stamps every event with that name (its own wall clock). */
  repliedAt: number;
  redisMs: number;
}

/** A handler was called (`run-start`), returned or threw (`run-end`), or saw its signal abort (`run-abort`). */
export interface RunEvent {
  event: 'run-start' | 'run-end' | 'run-abort';
  at: number;
  taskId: string;
  scheduledAt: number;
  kind: ScheduledRunKind;
  attempt: number;
  fencingToken: number;
  instanceId: string;
  version: number | null;
  outcome?: 'returned' | 'threw';
}

export interface ApiEvent {
  event: 'api-begin' | 'api-end';
  at: number;
  callId: number;
  ok?: boolean;
  code?: string;
  message?: string;
  result?: unknown;
}

/** The event loop ran a timer late by more than the stall threshold: the replica was not running meanwhile. */
export interface StallEvent {
  event: 'stall';
  from: number;
  to: number;
}

/** An unhandled rejection or uncaught exception in the replica. */
export interface CrashEvent {
  event: 'unhandled';
  kind: 'unhandledRejection' | 'uncaughtException';
  message: string;
}

export interface FinalEvent {
  event: 'final';
  tasks: Array<{ id: string; enabled: boolean; cron: string; version: number }>;
  runs: Record<string, Array<{ scheduledAt: number; attempt: number; status: string; instanceId: string | null }>>;
  error?: string;
}
