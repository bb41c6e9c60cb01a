--[[
  The due fires of a replica's workflows, as schedulerPeek returns them: those due by now, and those due within the
  look-ahead window that may be claimed ahead (a fire of a task with a run in progress or a retry waiting, and
  overlap other than `allow`, is not: overlap is decided at its due time, so it is left out and its due score is a
  wake-up time). At most `limit` are due by now and `aheadLimit` due later (the room for runs claimed ahead: a look
  with few free slots does not read hundreds of fires it cannot take). When more are due than asked for, they are
  taken from a window of the due ones placed by windowAt (a fraction in [0, 1)), so that replicas looking at once
  ask for different fires. passOver: a set of task ids left out (not counted toward the limits), passOverCount its
  size.
  Returns candidates, pendingDue, nextWakeAt: candidates { { task, fireTime }, ... } earliest due score first,
  task = { id, definition JSON, JSON of what a decision needs of the state: nextRunAt, enabled, version },
  fireTime = the task's nextRunAt; pendingDue: pending entries (retry, buffered, manual) of the workflows due by
  now; nextWakeAt: when to look again: the earliest due score beyond the window minus half the look-ahead (so
  that a look claims the fires of half a window at once, not each as it enters the window), due score
  of a fire left out for overlap, pending score of the workflows or lease expiry of the namespace (now when more
  is due than returned), -1 for none.
]]
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/runLifecycle"

local function collectDue(K, workflows, limit, aheadLimit, passOver, passOverCount, now, lookAheadMs, windowAt)
  local horizon = now + lookAheadMs
  local due = {}
  local pendingDue = 0
  local nextWakeAt = -1
  local function wakeAtScore(score)
    if nextWakeAt == -1 or score < nextWakeAt then
      nextWakeAt = score
    end
  end
  local function wakeAt(reply, earlier)
    if reply[2] then
      wakeAtScore(tonumber(reply[2]) - earlier)
    end
  end
  -- Up to `want` entries of `dueKey` scored in (min, max], from a window placed by windowAt when more are there.
  local function readWindow(dueKey, workflow, min, max, want)
    local count = rcall('ZCOUNT', dueKey, min, max)
    local offset = 0
    if count > want then
      offset = math.floor(windowAt * (count - want + 1))
    end
    local entries = rcall('ZRANGEBYSCORE', dueKey, min, max, 'WITHSCORES', 'LIMIT', offset, want)
    for i = 1, #entries, 2 do
      if not passOver[entries[i]] then
        due[#due + 1] = { entries[i], tonumber(entries[i + 1]), workflow }
      end
    end
  end
  for _, workflow in ipairs(workflows) do
    local dueKey, pendingKey = K.due[workflow], K.pending[workflow]
    -- Those due by now and those due later are read apart: the many due later never hide one due now.
    readWindow(dueKey, workflow, '-inf', now, limit + passOverCount + 1)
    readWindow(dueKey, workflow, '(' .. now, horizon, aheadLimit + passOverCount + 1)
    pendingDue = pendingDue + rcall('ZCOUNT', pendingKey, '-inf', now)
    wakeAt(rcall('ZRANGEBYSCORE', dueKey, '(' .. horizon, '+inf', 'WITHSCORES', 'LIMIT', 0, 1),
      math.floor(lookAheadMs / 2))
    wakeAt(rcall('ZRANGEBYSCORE', pendingKey, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1), 0)
  end
  wakeAt(rcall('ZRANGE', K.leases, 0, 0, 'WITHSCORES'), 0)
  table.sort(due, function(a, b)
    return a[2] < b[2]
  end)

  local candidates = {}
  local dueNow, dueLater = 0, 0
  for _, entry in ipairs(due) do
    local taskId, score = entry[1], entry[2]
    local later = score > now
    if later and dueLater >= aheadLimit then
      if aheadLimit > 0 then
        -- More due later than returned (other replicas may take those returned): look again at once.
        nextWakeAt = now
      else
        -- No room to claim ahead: claimed once room frees (its replica looks again then), or once due.
        wakeAtScore(score)
      end
      break
    elseif not later and dueNow >= limit then
      -- Due by now beyond the limit: more is due than returned, look again at once.
      nextWakeAt = now
    else
      local state = readState(K, taskId)
      if not state or not state.nextRunAt or not state.enabled then
        -- An index entry without a schedule behind it (should not happen): drop it rather than spin on it.
        rcall('ZREM', K.due[entry[3]], taskId)
      elseif later and busyRuns(state) > 0 and state.overlap ~= 'allow' then
        wakeAtScore(score)
      else
        local definition = rcall('HGET', K.tasks, taskId)
        if definition then
          local decisionState = cjson.encode({ nextRunAt = state.nextRunAt, enabled = true, version = state.version })
          candidates[#candidates + 1] = { { taskId, definition, decisionState }, state.nextRunAt }
          if later then
            dueLater = dueLater + 1
          else
            dueNow = dueNow + 1
          end
        else
          rcall('ZREM', K.due[entry[3]], taskId)
        end
      end
    end
  end
  return candidates, pendingDue, nextWakeAt
end
