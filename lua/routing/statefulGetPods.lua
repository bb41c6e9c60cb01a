--[[
  Reads everything known of a service's pods in one go: states, weights, last reports, and the Redis
  TIME to judge the last reports against. Writes nothing.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen
  Output:
    { flat states { pod id, state, ... }, flat weights { pod id, weight, ... },
      flat last reports { pod id, ms, ... }, Redis TIME in ms }
]]
local rcall = redis.call
--- @include "includes/redisTimeMs"

return { rcall('HGETALL', KEYS[1]), rcall('HGETALL', KEYS[2]), rcall('HGETALL', KEYS[3]), redisTimeMs() }
