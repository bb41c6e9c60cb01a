--[[
  Writes what is known of a service's pods: their state, their weight and when they last reported.
  Every report of a pod (state, weight, heartbeat) records the Redis TIME of the report in the
  liveness hash, and the pod's entries in the pod-writes hash (see includes/podEntries), in the same
  script; a report after a sweep declared the pod silent answers the sweep's entry (see includes/sweepNotice).
  Every key is read before the first write, so that an error (a key of the wrong type) writes nothing.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen     (written by reports only)
    KEYS[4] pod writes      sf:{ns:state:svc}writes   (the pod's entries as this library left them)
    KEYS[5] pod sweeps      sf:{ns:state:svc}sweeps   (pods a sweep declared silent: see statefulSweepSilentPods)
    ARGV[1] action:
      'state'     ARGV[2] pod id, ARGV[3] state    the pod reports its state
      'stateOnly' ARGV[2] pod id, ARGV[3] state    sets the pod's state on its behalf: not a report of the pod
      'weight'    ARGV[2] pod id, ARGV[3] weight   the pod reports its weight
      'heartbeat' ARGV[2] pod id                   the pod reports with nothing else to say
      'assign'    ARGV[2] pod id                   adds 1 to the weight of a pod that still has a state
                                                   (a user was just placed on it; not a report)
      'remove'    ARGV[2] pod id                   forgets the pod's state, weight, last report and sweep
      'removeIfSilent' ARGV[2] pod id, ARGV[3] ms  the same, only if the pod's last report is still the one
                                                   at ARGV[3] ms (it did not report again meanwhile)
      'markIfSilent' ARGV[2] pod id, ARGV[3] ms, ARGV[4] state: sets the pod's state (not a report), only
                                                   if its last report is still the one at ARGV[3] ms
  Output:
    reports: the sweep's entry (JSON) when the pod had been declared silent since its last report, else 1;
    the others: 1 if something was written, else 0
]]
local rcall = redis.call
--- @include "routing/includes/redisTimeMs"
--- @include "routing/includes/podEntries"
--- @include "routing/includes/sweepEntry"
--- @include "routing/includes/sweepNotice"
local action, podId = ARGV[1], ARGV[2]

-- Reads first: a wrong type on any key fails here, before anything is written (no half report).
local known = rcall('HGET', KEYS[4], podId)
local before = podEntries(KEYS[1], KEYS[2], podId)
local lastSeen = rcall('HGET', KEYS[3], podId)
local sweep, sweepStored = readSweepEntry(KEYS[5], podId)
-- The pod's entries are still as this library left them (no record: written before the record existed).
local ownEntries = not known or known == before

--- A write on the pod's behalf keeps the record only while it was the pod's own: a Java or Go pod whose
--- entries were written by its own implementation does not become a pod with liveness by a gateway's write.
local function keepRecord()
  if ownEntries then
    rcall('HSET', KEYS[4], podId, podEntries(KEYS[1], KEYS[2], podId))
  end
end

--- A report of the pod: its time, its entries as it left them, and the sweep it learns of (if any).
local function report(setsState)
  local now = redisTimeMs()
  local notice = sweepNotice(KEYS[1], KEYS[5], podId, sweep, sweepStored, ownEntries, setsState, now)
  rcall('HSET', KEYS[3], podId, now)
  rcall('HSET', KEYS[4], podId, podEntries(KEYS[1], KEYS[2], podId))
  return notice or 1
end

if action == 'state' then
  rcall('HSET', KEYS[1], podId, ARGV[3])
  return report(true)
elseif action == 'weight' then
  rcall('HSET', KEYS[2], podId, ARGV[3])
  return report(false)
elseif action == 'heartbeat' then
  return report(false)
elseif action == 'stateOnly' then
  rcall('HSET', KEYS[1], podId, ARGV[3])
  keepRecord()
elseif action == 'assign' then
  if rcall('HEXISTS', KEYS[1], podId) == 0 then
    return 0
  end
  rcall('HINCRBY', KEYS[2], podId, 1)
  keepRecord()
elseif action == 'markIfSilent' then
  if tonumber(lastSeen) ~= tonumber(ARGV[3]) then
    return 0
  end
  rcall('HSET', KEYS[1], podId, ARGV[4])
  keepRecord()
elseif action == 'remove' or action == 'removeIfSilent' then
  if action == 'removeIfSilent' and tonumber(lastSeen) ~= tonumber(ARGV[3]) then
    return 0
  end
  rcall('HDEL', KEYS[1], podId)
  rcall('HDEL', KEYS[2], podId)
  rcall('HDEL', KEYS[3], podId)
  rcall('HDEL', KEYS[4], podId)
  if action == 'remove' then
    rcall('HDEL', KEYS[5], podId)
  end
else
  return redis.error_reply('ERR statefulSetState: unknown action ' .. tostring(action))
end
return 1
