--[[
  Links a uid to a pod of a service, whatever was linked before.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] pod id (decimal)
    ARGV[3] ttl: -1 persistent, N > 0 temporary for N seconds
  Output:
    the value linked before as stored (the client reads a corrupt one as none), or nil when there was none
]]
local rcall = redis.call
--- @include "routing/includes/writeLink"

local previous = rcall('GET', KEYS[2])
writeLink(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]))
return previous
