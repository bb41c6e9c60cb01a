--[[
  Enables or disables a task's schedule. Enabling a disabled task sets the next fire given (computed from
  now: no burst of missed fires) and resets failureCount; disabling drops the next fire. Either is a
  definition change (version + 1), so a claim decided on the previous version is refused. Setting the
  state the task already has writes nothing. Disabling cancels a run claimed ahead whose time has not come.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] task id
    ARGV[2] enabled: 1 or 0
    ARGV[3] next fire time (ms) when enabling, '' for none
    ARGV[4] due score (next fire time + jitter offset, ms), '' for none
    ARGV[5] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    { 'changed' | 'unchanged', task }, task = { id, definition JSON, state field/value list };
    an error reply `NOT_FOUND <id>` for an unknown id
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/unscheduleTask"
--- @include "scheduler/includes/cancelAheadRun"

local base = KEYS[1]
local taskId, enabled = ARGV[1], ARGV[2]
local stateKey = base .. ':state:' .. taskId
if rcall('HEXISTS', base .. ':tasks', taskId) == 0 then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local state = rcall('HMGET', stateKey, 'enabled', 'workflow')
if state[1] == enabled then
  return { 'unchanged', readTask(base, taskId) }
end
local now = nowMs()
if enabled == '1' then
  rcall('HSET', stateKey, 'enabled', '1', 'updatedAt', now, 'failureCount', 0)
  rcall('HINCRBY', stateKey, 'version', 1)
  if ARGV[3] ~= '' then
    rcall('HSET', stateKey, 'nextRunAt', ARGV[3])
    rcall('ZADD', base .. ':due:' .. state[2], ARGV[4] ~= '' and ARGV[4] or ARGV[3], taskId)
  end
  publishChange(base, ARGV[5], 'enabled', taskId)
else
  unscheduleTask(base, taskId, state[2], now)
  cancelAheadRun(base, taskId, now)
  publishChange(base, ARGV[5], 'disabled', taskId)
end
return { 'changed', readTask(base, taskId) }
