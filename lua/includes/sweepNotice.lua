--[[
  What a pod learns at its first report after a sweep declared it silent: the sweep's entry (JSON:
  lastSeenAt, markedAt, removed, previous state, forgotten), taken out of the sweeps hash so that the
  pod learns it once. While the sweep's mark still stands (the pod's state is the silent state and its
  entries are as the sweep left them), a report that sets no state (weight, heartbeat) gives the pod back
  the state it had before the mark, or none. A sweep still running finds its entry gone and stops at its
  next batch; a batch it already sent may still remove links until the entry's settleAt: the notice says how
  long the pod must wait before it links its users again (reclaimInMs), so that no late removal undoes that.
  entry: the stored entry (or false); ownEntries: whether the pod's entries are still as this library
  left them; setsState: whether the report sets the pod's state itself.
  Returns the entry (with reclaimInMs), or false when there is none.
]]
--- @include "includes/redisTimeMs"
local function sweepNotice(statesKey, sweepsKey, podId, entry, ownEntries, setsState)
  if not entry then
    return false
  end
  rcall('HDEL', sweepsKey, podId)
  local sweep = cjson.decode(entry)
  sweep.reclaimInMs = math.max((sweep.settleAt or 0) - redisTimeMs(), 0)
  if ownEntries and not setsState and rcall('HGET', statesKey, podId) == sweep.mark then
    if sweep.state then
      rcall('HSET', statesKey, podId, sweep.state)
    else
      rcall('HDEL', statesKey, podId)
    end
  end
  return cjson.encode(sweep)
end
