--[[
  The scheduler's clock: Redis TIME of the node that holds the namespace (the one every claim runs on).
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched} (routes the call to that node; no key is read)
  Output:
    Redis now (ms)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"

return nowMs()
