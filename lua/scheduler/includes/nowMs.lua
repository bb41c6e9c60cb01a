--[[
  Redis TIME in milliseconds: the scheduler's only clock (no replica's clock decides what is due).
]]
local function nowMs()
  local time = rcall('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
