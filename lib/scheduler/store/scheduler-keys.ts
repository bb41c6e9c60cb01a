/**
 * The keys of one scheduler namespace. Every one starts with the base `<prefix>:{<ns>:sched}`, whose hash tag
 * puts them all in one cluster slot; the scripts get the base as KEYS[1] and append the suffixes themselves:
 *
 * | key | type | content |
 * |---|---|---|
 * | `B:tasks` | hash | task id → definition JSON (declared fields but `enabled`) |
 * | `B:state:<id>` | hash | enabled, version, incarnation, createdAt, updatedAt, the policies the scripts apply (workflow, overlap, attempts, backoffMs, maxFailures, leaseMs), nextRunAt, lastFireAt, lastRunAt, lastStatus, runCount, failureCount, fence, running, buffered, aheadStartAt (start of the latest run claimed ahead) |
 * | `B:due:<workflow>` | zset | task id → due score (nextRunAt + jitter offset), enabled tasks with a next fire |
 * | `B:pending:<workflow>` | zset | `<id>\|<scheduledAt>\|<attempt>\|<kind>\|<sequence>` → time it may start; kind retry, buffered or manual; sequence from `B:fence`, so that no two entries collide |
 * | `B:leases` | zset | `<id>\|<fence>` → lease expiry |
 * | `B:runs` | hash | `<id>\|<fence>` → run record JSON { taskId, scheduledAt, startedAt, attempt, instanceId, workflow, incarnation, kind } |
 * | `B:history:<id>` | list | TaskRun JSON, newest first, at most historyLength |
 * | `B:replicas` | hash | instance id → heartbeat JSON { workflows, seenAt } |
 * | `B:fence` | string | the namespace's counter of fencing tokens (and task incarnations, pending sequences); when absent it starts from Redis TIME ms × 1000, so tokens keep increasing across a loss of Redis's data |
 * | `B:declared` | set | ids of the decorated tasks deployed: a reconnect restores only those missing from it (Redis lost them), not those removed at run time |
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
