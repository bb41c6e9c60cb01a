--[[
  Near-cache read of one link: the value and its remaining TTL in one atomic step, so that a
  cached link never outlives its key. Read-only; run on the near-cache's tracking connection,
  where Redis remembers the key and tells when it changes.
  Input:
    KEYS[1] link key        sf:{ns:lk:uid}svc
  Output:
    { pod id (decimal string) or nil, PTTL in ms: -1 persistent, -2 no key, else >= 0 }
]]
local rcall = redis.call

return { rcall('GET', KEYS[1]), rcall('PTTL', KEYS[1]) }
