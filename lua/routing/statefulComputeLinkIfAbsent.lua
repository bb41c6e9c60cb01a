--[[
  Second step of computeLinkedPodIfAbsent, on the uid's slot: links the pod chosen by
  statefulGetServicePod unless a live link appeared meanwhile, and says who created it,
  so that only the creator adds to the pod's weight.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] chosen pod id (decimal)
    ARGV[3] ttl: -1 persistent, N > 0 temporary for N seconds
  Output:
    { pod linked after the call (decimal string), 1 if this call created the link else 0 }
]]
local rcall = redis.call
--- @include "routing/includes/podId"
--- @include "routing/includes/writeLink"

-- A corrupt entry is no link: it is overwritten.
local current = rcall('GET', KEYS[2])
if canonicalPodId(current) then
  return { current, 0 }
end
writeLink(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]))
return { ARGV[2], 1 }
