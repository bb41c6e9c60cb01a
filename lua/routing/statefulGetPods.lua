--[[
  Reads everything known of a service's pods in one go: states, weights, last reports, the pods whose
  last report is not their own any more (state or weight written since by another implementation, see
  includes/podEntries), and the Redis TIME to judge the last reports against. Writes nothing.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen
    KEYS[4] pod writes      sf:{ns:state:svc}writes
  Output:
    { flat states { pod id, state, ... }, flat weights { pod id, weight, ... },
      flat last reports { pod id, ms, ... }, Redis TIME in ms, { pod id, ... } written over since }
]]
local rcall = redis.call
--- @include "routing/includes/redisTimeMs"
--- @include "routing/includes/podEntries"

local seen = rcall('HGETALL', KEYS[3])
local overwritten = {}
for i = 1, #seen, 2 do
  local known = rcall('HGET', KEYS[4], seen[i])
  if known and known ~= podEntries(KEYS[1], KEYS[2], seen[i]) then
    overwritten[#overwritten + 1] = seen[i]
  end
end
return { rcall('HGETALL', KEYS[1]), rcall('HGETALL', KEYS[2]), seen, redisTimeMs(), overwritten }
