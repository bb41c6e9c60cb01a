--[[
  Reads a link only if it is persistent (no TTL).
  Input:
    KEYS[1] link key        sf:{ns:lk:uid}svc
  Output:
    the value of a persistent link as stored (the client checks it is a pod id), or nil
]]
local rcall = redis.call

local podId = rcall('GET', KEYS[1])
if podId and rcall('PTTL', KEYS[1]) == -1 then
  return podId
end
return false
