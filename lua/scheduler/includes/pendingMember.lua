--[[
  A member of a `<base>:pending:<workflow>` zset: `<task id>|<scheduledAt>|<attempt>|<kind>|<sequence>`, kind
  being retry, buffered or manual, sequence a value of the namespace's counter, so that two entries never
  collide (two triggers in the same millisecond are two runs). Parsed from the right, so a task id may hold '|'.
]]
--- @include "scheduler/includes/nextCounterValue"

local function pendingMember(K, taskId, scheduledAt, attempt, kind)
  return taskId .. '|' .. string.format('%.0f', scheduledAt) .. '|' .. attempt .. '|' .. kind .. '|' ..
    nextCounterValue(K)
end

local function parsePendingMember(member)
  local taskId, scheduledAt, attempt, kind = string.match(member, '^(.*)|(%d+)|(%d+)|(%a+)|%d+$')
  return taskId, tonumber(scheduledAt), tonumber(attempt), kind
end
