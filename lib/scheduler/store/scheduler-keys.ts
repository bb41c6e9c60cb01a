/**
 * The keys of one scheduler namespace. Every one starts with the base `<prefix>:{<ns>:sched}`, whose hash tag
 * puts them all in one cluster slot, and every script gets every one of them in KEYS (`schedulerKeys`), so
 * that while that slot migrates between cluster nodes Redis refuses a script (ASK, then TRYAGAIN: retried)
 * instead of running it over the keys moved so far. Hence no key name holds a task id:
 *
 * - `B:tasks` (hash): task id → definition JSON (declared fields but `enabled`)
 * - `B:state` (hash): task id → state JSON: enabled, version, incarnation, createdAt, updatedAt, the policies the
 *   scripts apply (workflow, overlap, attempts, backoffMs, maxFailures, leaseMs), nextRunAt, lastFireAt, lastRunAt,
 *   lastStatus, runCount, failureCount, fence, running, retrying (retries waiting), buffered, released (a buffered fire
 *   in the pending runs, not claimed yet), startedFence (the highest token started), ahead ({ fence, startAt,
 *   scheduledAt } of a run claimed ahead whose start is not confirmed yet), startsAt (the start time of the latest
 *   run confirmed ahead), startsBy (when the start window of its latest run ends), historySeq
 * - `B:history` (zset): every task's TaskRun JSONs, all scores 0, as `<id>}<sequence, 12 digits>}<json>`: a task's
 *   entries are one lexicographic range, at most historyLength
 * - `B:due:<workflow>` (zset): task id → due score (nextRunAt + jitter offset), enabled tasks with a next fire
 * - `B:pending:<workflow>` (zset): `<id>|<scheduledAt>|<attempt>|<kind>|<sequence>` → time it may start; kind
 *   retry, buffered or manual; sequence from `B:fence`, so that no two entries collide
 * - `B:leases` (zset): `<id>|<fence>` → lease expiry
 * - `B:runs` (hash): `<id>|<fence>` → run record JSON { taskId, fence, scheduledAt, startedAt, attempt, instanceId,
 *   workflow, incarnation, version, kind, ahead }
 * - `B:replicas` (hash): instance id → heartbeat JSON { workflows, seenAt }; replicas silent too long are deleted
 * - `B:fence` (string): the namespace's counter of fencing tokens (and task incarnations, pending sequences); when
 *   absent it starts from Redis TIME ms × 1000, so tokens keep increasing across a loss of Redis's data
 * - `B:declared` (set): ids of the decorated tasks deployed: a reconnect restores only those missing from it (Redis
 *   lost them), not those removed at run time
 * - `B:removed` (zset): id of a task removed while a run's start window was open → when that window ends: a second
 *   removal racing the first finds the task gone and still waits as long; entries past their time are deleted
 *
 * Channel `B:changed`: `<event>|<task id>` when the task set changes. Times are ms of the Redis clock.
 */
export function schedulerBaseKey(keyPrefix: string, namespace: string): string {
  return `${keyPrefix}:{${namespace}:sched}`;
}

/** The channel the scripts publish task-set changes on. */
export function schedulerChangedChannel(keyPrefix: string, namespace: string): string {
  return `${schedulerBaseKey(keyPrefix, namespace)}:changed`;
}

/** The namespace's keys of fixed name, in the order the scripts take them (lua/scheduler/includes/namespaceKeys). */
const FIXED_KEY_SUFFIXES = [
  'tasks',
  'state',
  'history',
  'leases',
  'runs',
  'replicas',
  'fence',
  'declared',
  'removed',
] as const;

/** KEYS of every scheduler script: the fixed keys, then the due and pending keys of each of `workflows`. */
export function schedulerKeys(base: string, workflows: Iterable<string>): string[] {
  const keys: string[] = FIXED_KEY_SUFFIXES.map((suffix) => `${base}:${suffix}`);
  for (const workflow of workflows) keys.push(`${base}:due:${workflow}`, `${base}:pending:${workflow}`);
  return keys;
}
