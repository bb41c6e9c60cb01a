--[[
  The scheduler's clock: Redis TIME of the node that holds the namespace (the one every claim runs on).
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
  Output:
    Redis now (ms)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"

return nowMs()
