--[[
  Enables or disables a task's schedule. Enabling a disabled task sets the next fire given (computed from
  now: no burst of missed fires) and resets failureCount; disabling drops the next fire. Either is a
  definition change (version + 1), so a claim decided on the previous version is refused. Setting the
  state the task already has writes nothing. Disabling cancels a run claimed ahead whose start was not confirmed;
  one confirmed to start a moment from now is in progress, and the caller waits for its start before returning.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] task id
    ARGV[2] enabled: 1 or 0
    ARGV[3] next fire time (ms) when enabling, '' for none
    ARGV[4] due score (next fire time + jitter offset, ms), '' for none
    ARGV[5] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    { 'changed' | 'unchanged', task, ms to wait before returning }, task = { id, definition JSON, state JSON };
    an error reply `NOT_FOUND <id>` for an unknown id, or `UNDECLARED_WORKFLOWS <JSON list>` (nothing written)
    when the task's workflow keys were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/runLifecycle"

local K = namespaceKeys(KEYS)
local taskId, enabled = ARGV[1], ARGV[2] == '1'
local state = readState(K, taskId)
if rcall('HEXISTS', K.tasks, taskId) == 0 or not state then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local undeclared = undeclaredWorkflowsReply(K, { state.workflow })
if undeclared then
  return undeclared
end
local now = nowMs()
if state.enabled == enabled then
  -- Disabled already (by a call that may still be waiting): this one too returns once the start window has ended.
  return { 'unchanged', readTask(K, taskId), enabled and 0 or confirmedStartWaitMs(state, now) }
end
local waitMs = 0
if enabled then
  state.enabled = true
  state.updatedAt = now
  state.failureCount = 0
  state.version = (state.version or 0) + 1
  if ARGV[3] ~= '' then
    state.nextRunAt = tonumber(ARGV[3])
    rcall('ZADD', K.due[state.workflow], ARGV[4] ~= '' and ARGV[4] or ARGV[3], taskId)
  end
  saveState(taskId, state)
  publishChange(K, ARGV[5], 'enabled', taskId)
else
  waitMs = confirmedStartWaitMs(state, now)
  unscheduleTask(K, taskId, state, now)
  publishChange(K, ARGV[5], 'disabled', taskId)
end
writeStates(K)
return { 'changed', readTask(K, taskId), waitMs }
