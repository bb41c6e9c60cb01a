--[[
  First step of computeLinkedPodIfAbsent, on the service's slot: picks the pod for a new user
  (see includes/pickPod: routable state, lowest weight, ties spread by uid). Used when the module
  has no podLiveness option; statefulGetLiveServicePod also skips pods that stopped reporting.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    ARGV[1] uid
    ARGV[2..n] routable states
  Output:
    the chosen pod id (decimal string), or nil when no pod is routable
]]
local rcall = redis.call
--- @include "routing/includes/pickPod"

local routable = {}
for i = 2, #ARGV do
  routable[ARGV[i]] = true
end
return pickPod(KEYS[1], KEYS[2], ARGV[1], routable, {}) or false
