--[[
  Removes a task: its definition, state, due and pending entries and history. A run in progress keeps
  its lease until it finishes; its finish is accepted and records nothing. A run claimed ahead whose start
  was not confirmed is cancelled (nothing fires after the removal); one confirmed to start a moment from now is
  in progress, and the caller waits for its start window to end before returning (includes/runLifecycle
  confirmedStartWaitMs); that end is kept in `removed` until then, so that a removal racing this one, which finds
  the task gone, waits as long.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] task id
    ARGV[2] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    { 1 removed / 0 unknown id, ms to wait before returning }; an error reply `UNDECLARED_WORKFLOWS <JSON list>` (nothing written) when the task's
    workflow keys were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/history"
--- @include "scheduler/includes/runLifecycle"

local K = namespaceKeys(KEYS)
local taskId = ARGV[1]
local now = nowMs()
if rcall('HEXISTS', K.tasks, taskId) == 0 then
  -- Removed already, maybe by a call still waiting for a run's start window: this one waits as long.
  local windowEnd = tonumber(rcall('ZSCORE', K.removed, taskId))
  return { 0, windowEnd and math.max(windowEnd - now, 0) or 0 }
end
local state = readState(K, taskId)
local waitMs = confirmedStartWaitMs(state, now)
if waitMs > 0 then
  rcall('ZADD', K.removed, now + waitMs, taskId)
end
if state then
  local undeclared = undeclaredWorkflowsReply(K, { state.workflow })
  if undeclared then
    return undeclared
  end
  -- First: a buffered fire it would release is dropped with the other pending entries below.
  cancelAheadRun(K, taskId, state, now)
  rcall('ZREM', K.due[state.workflow], taskId)
  local pendingKey = K.pending[state.workflow]
  local pending = rcall('ZRANGE', pendingKey, 0, -1)
  for i = 1, #pending do
    if parsePendingMember(pending[i]) == taskId then
      rcall('ZREM', pendingKey, pending[i])
    end
  end
end
rcall('HDEL', K.tasks, taskId)
dropState(taskId)
deleteHistory(K, taskId)
publishChange(K, ARGV[2], 'removed', taskId)
writeStates(K)
return { 1, waitMs }
