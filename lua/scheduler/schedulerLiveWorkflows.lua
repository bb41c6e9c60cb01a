--[[
  The replicas of the namespace seen (by their schedulerPeek heartbeat) within the last maxAge; older
  heartbeats are deleted (replicas that stopped or crashed).
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] max age (ms)
  Output:
    { heartbeat JSON { workflows, seenAt }, ... } of the live replicas
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"

local K = namespaceKeys(KEYS)
local oldest = nowMs() - tonumber(ARGV[1])
local entries = rcall('HGETALL', K.replicas)
local live = {}
for i = 1, #entries, 2 do
  if cjson.decode(entries[i + 1]).seenAt >= oldest then
    live[#live + 1] = entries[i + 1]
  else
    rcall('HDEL', K.replicas, entries[i])
  end
end
return live
