--[[
  One run of a task now, outside its schedule (enabled or not): a pending `manual` entry due at Redis
  now; claims apply the overlap policy to it.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] task id
    ARGV[2] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    the entry's scheduledAt (Redis now, ms); an error reply `NOT_FOUND <id>` for an unknown id, or
    `UNDECLARED_WORKFLOWS <JSON list>` (nothing written) when the task's workflow keys were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/pendingMember"

local K = namespaceKeys(KEYS)
local taskId = ARGV[1]
local state = readState(K, taskId)
if rcall('HEXISTS', K.tasks, taskId) == 0 or not state then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local undeclared = undeclaredWorkflowsReply(K, { state.workflow })
if undeclared then
  return undeclared
end
local now = nowMs()
rcall('ZADD', K.pending[state.workflow], now, pendingMember(K, taskId, now, 1, 'manual'))
publishChange(K, ARGV[2], 'triggered', taskId)
return now
