--[[
  First step of computeLinkedPodIfAbsent, on the service's slot: picks the pod for a new user.
  Among pods whose state is routable, the lowest weight wins (no weight = 0); ties are spread
  by rendezvous hashing: the highest SHA1(uid .. ':' .. podId) wins, so the same uid always
  prefers the same pod and different uids spread evenly.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    ARGV[1] uid
    ARGV[2..n] routable states
  Output:
    the chosen pod id (decimal string), or nil when no pod is routable
]]
local rcall = redis.call

local routable = {}
for i = 2, #ARGV do
  routable[ARGV[i]] = true
end

local weights = {}
local reported = rcall('HGETALL', KEYS[2])
for i = 1, #reported, 2 do
  weights[reported[i]] = tonumber(reported[i + 1])
end

local states = rcall('HGETALL', KEYS[1])
local bestPod, bestWeight, bestScore
for i = 1, #states, 2 do
  if routable[states[i + 1]] then
    local podId = states[i]
    local weight = weights[podId] or 0
    if bestPod == nil or weight <= bestWeight then
      local score = redis.sha1hex(ARGV[1] .. ':' .. podId)
      if bestPod == nil or weight < bestWeight or score > bestScore then
        bestPod, bestWeight, bestScore = podId, weight, score
      end
    end
  end
end
return bestPod or false
