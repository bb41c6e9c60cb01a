--[[
  What a pod learns at its reports after a sweep declared it silent: the sweep's entry (JSON: lastSeenAt,
  markedAt, removed, previous state, forgotten, settleAt, toldAt). The first report that answers it
  records toldAt (its Redis TIME) and keeps the entry: a report whose reply was lost (a TIMEOUT) and is
  retried answers it again, for NOTICE_REPEAT_MS after the first; the first report after that takes
  the entry out. At the first answer, while the sweep's mark still stands (the pod's state is the silent
  state and its entries are as the sweep left them), a report that sets no state (weight, heartbeat)
  gives the pod back the state it had before the mark, or none. A sweep still running finds its entry
  told and stops at its next batch; a batch it already sent may still remove links until the entry's
  settleAt: the notice says how long the pod must wait before it links its users again (reclaimInMs).
  sweep: the decoded entry (readSweepEntry) or nil; stored: whether an entry is stored (an unreadable one
  is taken out); ownEntries: whether the pod's entries are still as this library left them; setsState:
  whether the report sets the pod's state itself; now: the report's Redis TIME (ms).
  Returns the entry (with reclaimInMs), or false when there is none to tell.
]]
--- How long a told entry is answered again: a retry of a report that timed out still learns of the sweep.
local NOTICE_REPEAT_MS = 30000
local function sweepNotice(statesKey, sweepsKey, podId, sweep, stored, ownEntries, setsState, now)
  if not sweep or (sweep.toldAt and now - sweep.toldAt >= NOTICE_REPEAT_MS) then
    if stored then
      rcall('HDEL', sweepsKey, podId)
    end
    return false
  end
  if not sweep.toldAt then
    if ownEntries and not setsState and rcall('HGET', statesKey, podId) == sweep.mark then
      if sweep.state then
        rcall('HSET', statesKey, podId, sweep.state)
      else
        rcall('HDEL', statesKey, podId)
      end
    end
    sweep.toldAt = now
    rcall('HSET', sweepsKey, podId, cjson.encode(sweep))
  end
  sweep.reclaimInMs = math.max((sweep.settleAt or 0) - now, 0)
  return cjson.encode(sweep)
end
