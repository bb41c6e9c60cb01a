--[[
  First step of computeLinkedPodIfAbsent with the podLiveness option: as statefulGetServicePod, but a
  pod whose own last report (liveness hash, Redis TIME in ms) is older than the timeout is skipped. A pod
  without a liveness entry (reported only by the Java or Go implementations), or whose state or weight
  another implementation wrote since its last own report (see includes/podEntries), counts as live.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen
    KEYS[4] pod writes      sf:{ns:state:svc}writes
    ARGV[1] uid
    ARGV[2] liveness timeout in ms
    ARGV[3..n] routable states
  Output:
    the chosen pod id (decimal string), or nil when no live pod is routable
]]
local rcall = redis.call
--- @include "routing/includes/redisTimeMs"
--- @include "routing/includes/podEntries"
--- @include "routing/includes/pickPod"

local routable = {}
for i = 3, #ARGV do
  routable[ARGV[i]] = true
end

local oldestLive = redisTimeMs() - tonumber(ARGV[2])
local skipped = {}
local seen = rcall('HGETALL', KEYS[3])
for i = 1, #seen, 2 do
  local podId, lastSeen = seen[i], tonumber(seen[i + 1])
  if lastSeen and lastSeen < oldestLive then
    local known = rcall('HGET', KEYS[4], podId)
    if not known or known == podEntries(KEYS[1], KEYS[2], podId) then
      skipped[podId] = true
    end
  end
end
return pickPod(KEYS[1], KEYS[2], ARGV[1], routable, skipped) or false
