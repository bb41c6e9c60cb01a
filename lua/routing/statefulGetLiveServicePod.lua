--[[
  First step of computeLinkedPodIfAbsent with the podLiveness option: as statefulGetServicePod, but a
  pod whose last report (liveness hash, Redis TIME in ms) is older than the timeout is skipped. A pod
  without a liveness entry (reported only by the Java or Go implementations) counts as live.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen
    ARGV[1] uid
    ARGV[2] liveness timeout in ms
    ARGV[3..n] routable states
  Output:
    the chosen pod id (decimal string), or nil when no live pod is routable
]]
local rcall = redis.call
--- @include "includes/redisTimeMs"
--- @include "includes/pickPod"

local routable = {}
for i = 3, #ARGV do
  routable[ARGV[i]] = true
end

local oldestLive = redisTimeMs() - tonumber(ARGV[2])
local skipped = {}
local seen = rcall('HGETALL', KEYS[3])
for i = 1, #seen, 2 do
  local lastSeen = tonumber(seen[i + 1])
  if lastSeen and lastSeen < oldestLive then
    skipped[seen[i]] = true
  end
end
return pickPod(KEYS[1], KEYS[2], ARGV[1], routable, skipped) or false
