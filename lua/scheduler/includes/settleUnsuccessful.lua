--[[
  After an attempt that did not succeed (failed, cancelled or lost) of a task still present: a retry
  (same scheduledAt, attempt + 1) as a pending `retry` entry at retryAt when attempts remain; else the fire
  is over, and when it counts as a failure, failureCount + 1, lastStatus `failed`, and the schedule is
  disabled once failureCount reaches maxConsecutiveFailures (>= 1).
  Returns retryAt (nil when no retry) and whether the task was disabled now.
]]
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/unscheduleTask"

local function settleUnsuccessful(base, run, now, retryAt, countsAsFailure, publishCommand)
  local stateKey = base .. ':state:' .. run.taskId
  local policy = rcall('HMGET', stateKey, 'attempts', 'workflow', 'maxFailures', 'enabled')
  if run.attempt < tonumber(policy[1]) then
    local member = pendingMember(base, run.taskId, run.scheduledAt, run.attempt + 1, 'retry')
    rcall('ZADD', base .. ':pending:' .. policy[2], retryAt, member)
    return retryAt, false
  end
  if not countsAsFailure then
    return nil, false
  end
  local failures = rcall('HINCRBY', stateKey, 'failureCount', 1)
  rcall('HSET', stateKey, 'lastStatus', 'failed')
  local maxFailures = tonumber(policy[3])
  if failures >= maxFailures and policy[4] == '1' then
    unscheduleTask(base, run.taskId, policy[2], now)
    publishChange(base, publishCommand, 'disabled', run.taskId)
    return nil, true
  end
  return nil, false
end
