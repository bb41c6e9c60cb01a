--[[
  One run of a task now, outside its schedule (enabled or not): a pending `manual` entry due at Redis
  now; claims apply the overlap policy to it.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] task id
    ARGV[2] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    the entry's scheduledAt (Redis now, ms); an error reply `NOT_FOUND <id>` for an unknown id
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/pendingMember"

local base = KEYS[1]
local taskId = ARGV[1]
local workflow = rcall('HGET', base .. ':state:' .. taskId, 'workflow')
if rcall('HEXISTS', base .. ':tasks', taskId) == 0 or not workflow then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local now = nowMs()
rcall('ZADD', base .. ':pending:' .. workflow, now, pendingMember(base, taskId, now, 1, 'manual'))
publishChange(base, ARGV[2], 'triggered', taskId)
return now
