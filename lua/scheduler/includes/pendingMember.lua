--[[
  A member of a `<base>:pending:<workflow>` zset: `<task id>|<scheduledAt>|<attempt>|<kind>`, kind being
  retry, buffered or manual. Parsed from the right, so a task id may hold '|'.
]]
local function pendingMember(taskId, scheduledAt, attempt, kind)
  return taskId .. '|' .. scheduledAt .. '|' .. attempt .. '|' .. kind
end

local function parsePendingMember(member)
  local taskId, scheduledAt, attempt, kind = string.match(member, '^(.*)|(%d+)|(%d+)|(%a+)$')
  return taskId, tonumber(scheduledAt), tonumber(attempt), kind
end
