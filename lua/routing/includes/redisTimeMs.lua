--[[
  Redis TIME in milliseconds: the one clock of pod liveness, so that no caller's clock decides
  whether a pod is live.
]]
local function redisTimeMs()
  local time = rcall('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
