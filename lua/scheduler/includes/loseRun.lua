--[[
  A run whose lease expired at lostAt (its replica crashed, paused or lost Redis), seen by the reaper of
  schedulerPeek or by schedulerFinishRun: the lease is released and, when the task is still the run's, the
  attempt is recorded `lost`, then retried at once if attempts remain, else the fire failed.
  Returns retryAt (nil when no retry) and whether the task was disabled now.
]]
--- @include "scheduler/includes/pushHistory"
--- @include "scheduler/includes/releaseRun"
--- @include "scheduler/includes/settleUnsuccessful"

local function loseRun(base, leaseMember, run, lostAt, now, historyLength, publishCommand)
  if not releaseRun(base, leaseMember, run, now) then
    return nil, false
  end
  pushHistory(base, run.taskId, historyLength, run.scheduledAt, run.startedAt, lostAt, 'lost', run.attempt,
    run.instanceId, 'lease expired')
  rcall('HSET', base .. ':state:' .. run.taskId, 'lastStatus', 'lost')
  return settleUnsuccessful(base, run, now, now, true, publishCommand)
end
