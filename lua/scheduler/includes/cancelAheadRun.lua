--[[
  Cancels the run of a task claimed ahead whose time has not come yet (its replica has not started the
  handler): drops its lease and record and counts it out of `running` (releaseRun), so that a task removed or
  disabled within the look-ahead window fires nothing after. The replica that claimed it renews the lease
  before it starts such a run whenever a change of the task set was published since the claim, and finds it
  gone. Returns whether a run was cancelled.
]]
--- @include "scheduler/includes/releaseRun"

local function cancelAheadRun(base, taskId, now)
  local stateKey = base .. ':state:' .. taskId
  local ahead = rcall('HMGET', stateKey, 'aheadStartAt', 'fence')
  if not ahead[1] or not ahead[2] or tonumber(ahead[1]) <= now then
    return false
  end
  local leaseMember = taskId .. '|' .. ahead[2]
  local record = rcall('HGET', base .. ':runs', leaseMember)
  if not record then
    return false
  end
  releaseRun(base, leaseMember, cjson.decode(record), now)
  rcall('HSET', stateKey, 'lastStatus', 'cancelled')
  rcall('HDEL', stateKey, 'aheadStartAt')
  return true
end
