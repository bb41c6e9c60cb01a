--[[
  Extends a run's lease, only for its owner and only while the lease still holds: an expired lease is
  lost for good (the reaper or the run's finish records it `lost`).
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] task id
    ARGV[2] fencing token of the run
    ARGV[3] instance id of the replica running it
    ARGV[4] lease (ms) from now
  Output:
    1 renewed, 0 lease lost (gone, expired, or another replica's)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"

local K = namespaceKeys(KEYS)
local leaseMember = ARGV[1] .. '|' .. ARGV[2]
local record = rcall('HGET', K.runs, leaseMember)
local expiry = rcall('ZSCORE', K.leases, leaseMember)
if not record or not expiry or cjson.decode(record).instanceId ~= ARGV[3] then
  return 0
end
local now = nowMs()
if tonumber(expiry) <= now then
  return 0
end
rcall('ZADD', K.leases, 'XX', now + tonumber(ARGV[4]), leaseMember)
return 1
