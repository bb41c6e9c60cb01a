--[[
  The steps of the dead-pod sweep on a service's pod entries, each judged in one script on this node's
  Redis TIME, the clock of the pods' last reports. A pod is swept only while it is still the silent pod
  the sweep marked: its state is still the mark, its last own report unchanged, and its entries still as
  this library left them (a Java or Go pod that writes its state or weight over the mark stops the sweep).
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen
    KEYS[4] pod writes      sf:{ns:state:svc}writes
    KEYS[5] pod sweeps      sf:{ns:state:svc}sweeps   pod id -> JSON { lastSeenAt, markedAt, removed,
                                                      mark, state (before the mark), settleAt, forgotten,
                                                      toldAt (the first report that answered it) }
    ARGV[1] action:
      'mark'   ARGV[2] ms, ARGV[3] silent state: marks every pod whose own last report is more than ARGV[2]
               ms old: its state becomes ARGV[3] (routable for no gateway, Java and Go ones included) and
               its sweep entry is recorded. A pod still marked by a sweep that did not finish keeps its
               entry, so that its count of removed links goes on. So does a pod whose mark a write on its
               behalf replaced before the pod learned of the sweep: it is marked again, and its entry keeps
               the count and the latest settleAt of the earlier sweeps (the pod must learn all they did).
      'batch'  ARGV[2..n] triples: pod id, markedAt, links about to be removed: for each pod still marked,
               adds the count to its entry first (the pod never learns fewer links than it lost) and sets its
               settleAt to now + BATCH_SETTLE_MS: the batch's removals are refused after that (each checks it on
               its own node), and a pod that reports meanwhile is told to wait until then to re-link its users
      'forget' ARGV[2..n] triples: pod id, markedAt, 0: forgets each pod still marked (state, weight, last
               report) and keeps its entry, marked forgotten, for the pod's next report
  Output:
    'mark': { Redis TIME in ms, flat { pod id, lastSeenAt, markedAt, removed so far, ... } }
    'batch': { settleAt, flat { pod id, 1 if the pod was still marked (and the step done) else 0, ... } }
    'forget': flat { pod id, 1 if the pod was still marked (and the step done) else 0, ... }
]]
local rcall = redis.call
--- @include "routing/includes/redisTimeMs"
--- @include "routing/includes/podEntries"
--- @include "routing/includes/sweepEntry"

--- The pod's own last report (ms), or nil: no liveness entry, or entries written since by another implementation.
local function ownLastReport(podId)
  local lastSeen = tonumber(rcall('HGET', KEYS[3], podId))
  local known = rcall('HGET', KEYS[4], podId)
  if lastSeen and known and known ~= podEntries(KEYS[1], KEYS[2], podId) then
    return nil
  end
  return lastSeen
end

--- The pod's sweep entry while the pod is still the silent pod that sweep marked, else nil.
local function standingMark(podId, markedAt)
  local sweep = readSweepEntry(KEYS[5], podId)
  if not sweep then
    return nil
  end
  if sweep.forgotten or sweep.toldAt or (markedAt and sweep.markedAt ~= markedAt) then
    return nil
  end
  if rcall('HGET', KEYS[1], podId) ~= sweep.mark or ownLastReport(podId) ~= sweep.lastSeenAt then
    return nil
  end
  return sweep
end

local action = ARGV[1]
-- Reads first: a key of the wrong type fails the step here, before anything is written.
rcall('HEXISTS', KEYS[1], '0')
rcall('HEXISTS', KEYS[2], '0')
rcall('HEXISTS', KEYS[3], '0')
rcall('HEXISTS', KEYS[4], '0')
rcall('HEXISTS', KEYS[5], '0')
if action == 'mark' then
  local now = redisTimeMs()
  local oldest = now - tonumber(ARGV[2])
  local marks = {}
  local seen = rcall('HGETALL', KEYS[3])
  for i = 1, #seen, 2 do
    local podId = seen[i]
    local lastSeen = ownLastReport(podId)
    if lastSeen and lastSeen < oldest then
      local sweep = standingMark(podId, nil)
      if not sweep then
        local previous = rcall('HGET', KEYS[1], podId)
        -- An entry the pod was not told of yet: its links removed so far, and their settleAt, stay in it.
        local untold = readSweepEntry(KEYS[5], podId)
        if untold and (untold.toldAt or untold.forgotten) then
          untold = nil
        end
        sweep = { lastSeenAt = lastSeen, markedAt = now, removed = 0, mark = ARGV[3], state = previous }
        if untold then
          sweep.removed = untold.removed
          sweep.settleAt = untold.settleAt
          if previous == ARGV[3] then
            sweep.state = untold.state
          end
        end
        rcall('HSET', KEYS[1], podId, ARGV[3])
        rcall('HSET', KEYS[4], podId, podEntries(KEYS[1], KEYS[2], podId))
        rcall('HSET', KEYS[5], podId, cjson.encode(sweep))
      end
      marks[#marks + 1] = podId
      marks[#marks + 1] = sweep.lastSeenAt
      marks[#marks + 1] = sweep.markedAt
      marks[#marks + 1] = sweep.removed
    end
  end
  return { now, marks }
end

if action ~= 'batch' and action ~= 'forget' then
  return redis.error_reply('ERR statefulSweepSilentPods: unknown action ' .. tostring(action))
end
-- How long the removals of a batch may take to reach their nodes; later ones are refused there.
local BATCH_SETTLE_MS = 2000
local settleAt = action == 'batch' and redisTimeMs() + BATCH_SETTLE_MS or nil
local done = {}
for i = 2, #ARGV, 3 do
  local podId = ARGV[i]
  local sweep = standingMark(podId, tonumber(ARGV[i + 1]))
  if sweep and action == 'batch' then
    sweep.removed = sweep.removed + tonumber(ARGV[i + 2])
    sweep.settleAt = settleAt
  elseif sweep then
    sweep.forgotten = true
    rcall('HDEL', KEYS[1], podId)
    rcall('HDEL', KEYS[2], podId)
    rcall('HDEL', KEYS[3], podId)
    rcall('HDEL', KEYS[4], podId)
  end
  if sweep then
    rcall('HSET', KEYS[5], podId, cjson.encode(sweep))
  end
  done[#done + 1] = podId
  done[#done + 1] = sweep and 1 or 0
end
if action == 'batch' then
  return { settleAt, done }
end
return done
