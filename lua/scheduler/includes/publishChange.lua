--[[
  Tells the replicas that the task set changed: `<event>|<task id>` on the channel `<base>:changed`, with
  PUBLISH, or SPUBLISH on a cluster (the channel carries the namespace's hash tag, so it is in the script's
  slot), or nothing when publishCommand is '' (the caller publishes).
]]
local function publishChange(K, publishCommand, event, taskId)
  if publishCommand == 'SPUBLISH' then
    rcall('SPUBLISH', K.base .. ':changed', event .. '|' .. taskId)
  elseif publishCommand == 'PUBLISH' then
    rcall('PUBLISH', K.base .. ':changed', event .. '|' .. taskId)
  end
end
