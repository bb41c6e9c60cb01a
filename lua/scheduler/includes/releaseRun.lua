--[[
  Ends a run's lease: drops its lease and its record, and when the task is still the one the run was
  started for (same incarnation: not removed, nor removed and added again) counts it out of `running`; the
  last run out releases the fire waiting under overlap `bufferOne` as a pending `buffered` entry, due now.
  Returns whether the task is still the run's.
]]
--- @include "scheduler/includes/pendingMember"

local function releaseRun(base, leaseMember, run, now)
  rcall('ZREM', base .. ':leases', leaseMember)
  rcall('HDEL', base .. ':runs', leaseMember)
  local stateKey = base .. ':state:' .. run.taskId
  local state = rcall('HMGET', stateKey, 'incarnation', 'workflow', 'buffered')
  if state[1] ~= run.incarnation then
    return false
  end
  local running = rcall('HINCRBY', stateKey, 'running', -1)
  if running <= 0 then
    if running < 0 then
      rcall('HSET', stateKey, 'running', 0)
    end
    if state[3] then
      rcall('HDEL', stateKey, 'buffered')
      rcall('ZADD', base .. ':pending:' .. state[2], now, pendingMember(base, run.taskId, state[3], 1, 'buffered'))
    end
  end
  return true
end
