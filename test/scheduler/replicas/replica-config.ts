import type { DistributedCronOptions, DistributedScheduleModuleOptions } from '../../../lib';

/**
 * What a replica fixture (fixtures/replica-app.ts) runs: passed as JSON in the environment variable
 * `SF_REPLICA_CONFIG`, so that each test decides the connection, the module options and the tasks.
 */
export interface ReplicaConfig {
  instanceId: string;
  namespace: string;
  /** A standalone Redis URL; or `cluster`. */
  redis?: string;
  /** Nodes of a Redis Cluster. */
  cluster?: Array<{ host: string; port: number }>;
  /** DistributedScheduleModule options besides namespace and instanceId. */
  module?: Omit<DistributedScheduleModuleOptions, 'namespace' | 'instanceId'>;
  /** A fixed reconnect delay for the standalone connection (default: the library's backoff, up to 2 s). */
  reconnectDelayMs?: number;
  /** StatefulRedisModule's commandTimeoutMs (how soon a call to an unreachable Redis fails). */
  commandTimeoutMs?: number;
  /** Decorated tasks this replica declares (`@DistributedCron`), each on its own provider. */
  tasks: ReplicaTaskSpec[];
  /** Print the health indicator's verdict this often (a `health` event); off when absent. */
  healthIntervalMs?: number;
}

/** A decorated task and what its handler does in this replica (the definition is the same everywhere). */
export interface ReplicaTaskSpec {
  name: string;
  cron: string;
  /** `@DistributedCron` options besides `name` (the library's own type). */
  options?: Omit<DistributedCronOptions, 'name'>;
  /** How long the handler works; 0 when absent. */
  durationMs?: number;
  /** Work until a `{"cmd":"release","task":name}` command (or the signal, unless `ignoreSignal`). */
  hold?: boolean;
  /** Keep working after the signal aborts (a handler that does not cooperate); default: stop and throw. */
  ignoreSignal?: boolean;
  /** Attempts up to this number throw (a failing task); default 0. */
  failAttempts?: number;
}

/** What a handler prints when it starts: one `start` event per attempt. */
export interface RunStartEvent {
  event: 'start';
  task: string;
  taskId: string;
  scheduledAt: number;
  attempt: number;
  fencingToken: number;
  instanceId: string;
  /** The replica's own clock at the start (faked under faketime). */
  at: number;
  /** Redis `TIME` (ms) read right after the start; null when Redis did not answer within 1 s. */
  redisNow: number | null;
}

/** What a handler prints when it ends (`finish`) or when its signal aborts (`abort`). */
export interface RunEndEvent {
  event: 'finish' | 'abort';
  task: string;
  scheduledAt: number;
  attempt: number;
  fencingToken: number;
  instanceId: string;
  at: number;
  /** `finish` only: how the handler ended. */
  outcome?: 'success' | 'error';
  /** Whether the signal was aborted at that point. */
  aborted: boolean;
}
