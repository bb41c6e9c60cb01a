--[[
  Removes a task: its definition, state, due and pending entries and history. A run in progress keeps
  its lease until it finishes; its finish is accepted and records nothing. A run claimed ahead whose time
  has not come is cancelled (nothing fires after the removal).
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] task id
    ARGV[2] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    1 removed, 0 unknown id
]]
local rcall = redis.call
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/cancelAheadRun"

local base = KEYS[1]
local taskId = ARGV[1]
local tasksKey = base .. ':tasks'
local stateKey = base .. ':state:' .. taskId
if rcall('HEXISTS', tasksKey, taskId) == 0 then
  return 0
end
-- First: a buffered fire it would release is dropped with the other pending entries below.
cancelAheadRun(base, taskId, nowMs())
local workflow = rcall('HGET', stateKey, 'workflow')
if workflow then
  rcall('ZREM', base .. ':due:' .. workflow, taskId)
  local pendingKey = base .. ':pending:' .. workflow
  local pending = rcall('ZRANGE', pendingKey, 0, -1)
  for i = 1, #pending do
    if parsePendingMember(pending[i]) == taskId then
      rcall('ZREM', pendingKey, pending[i])
    end
  end
end
rcall('HDEL', tasksKey, taskId)
rcall('DEL', stateKey)
rcall('DEL', base .. ':history:' .. taskId)
publishChange(base, ARGV[2], 'removed', taskId)
return 1
