--[[
  Links a uid to a pod only if it has no live link (persistent or temporary) to the service.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] pod id (decimal)
    ARGV[3] ttl: -1 persistent, N > 0 temporary for N seconds
  Output:
    the pod linked after the call (decimal string)
]]
local rcall = redis.call
--- @include "routing/includes/podId"
--- @include "routing/includes/writeLink"

-- A corrupt entry is no link: it is overwritten.
local current = rcall('GET', KEYS[2])
if canonicalPodId(current) then
  return current
end
writeLink(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]))
return ARGV[2]
