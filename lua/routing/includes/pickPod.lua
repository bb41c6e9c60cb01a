--[[
  Picks the pod for a new user among a service's pods. Among pods whose state is routable and that
  are not in `skipped`, the lowest weight wins (no weight = 0); ties are spread by rendezvous hashing:
  the highest SHA1(uid .. ':' .. podId) wins, so the same uid always prefers the same pod and
  different uids spread evenly.
  routable: { state = true }; skipped: { podId = true } (pods judged not live).
  Returns the chosen pod id (decimal string), or nil when no pod qualifies.
]]
local function pickPod(statesKey, weightsKey, uid, routable, skipped)
  local weights = {}
  local reported = rcall('HGETALL', weightsKey)
  for i = 1, #reported, 2 do
    weights[reported[i]] = tonumber(reported[i + 1])
  end

  local states = rcall('HGETALL', statesKey)
  local bestPod, bestWeight, bestScore
  for i = 1, #states, 2 do
    local podId = states[i]
    if routable[states[i + 1]] and not skipped[podId] then
      local weight = weights[podId] or 0
      if bestPod == nil or weight <= bestWeight then
        local score = redis.sha1hex(uid .. ':' .. podId)
        if bestPod == nil or weight < bestWeight or score > bestScore then
          bestPod, bestWeight, bestScore = podId, weight, score
        end
      end
    end
  end
  return bestPod
end
