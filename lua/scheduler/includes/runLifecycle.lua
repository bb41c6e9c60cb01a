--[[
  A run's life in Redis. startRun takes a lease (a fencing token from the namespace's counter, strictly
  increasing per task across attempts, fires, a task removed and added again, and a loss of Redis's data) and
  records the run in `<base>:runs`; a run claimed ahead is also marked in its task's state (`ahead`) until its
  replica confirms its start (schedulerStartRuns). endRun drops the lease and the record and counts the run out of
  its task, when the task is still the one the run was started for (same incarnation: not removed, nor removed and
  added again). After an attempt that did not succeed, settleUnsuccessful queues its retry or ends the fire, and
  releaseBuffered then lets the fire waiting under overlap `bufferOne` go, once nothing of the task runs or waits
  for a retry (with overlap `skip` or `bufferOne`, a waiting retry counts as a run: runs of a task start in fire
  order, one at a time). Every function changes the task's state in place and saves it (includes/taskState).
]]
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/history"
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/readTask"

-- The task's runs in progress, waiting for a retry, or buffered and released into the pending runs (not claimed
-- yet), as overlap counts them: a later fire never overtakes one of those.
local function busyRuns(state)
  return (state.running or 0) + (state.retrying or 0) + (state.released or 0)
end

-- What overlap makes of a fire (or a manual or buffered run): run, buffer (bufferOne, none waiting yet) or skip.
local function overlapAction(state)
  if busyRuns(state) == 0 or state.overlap == 'allow' then
    return 'run'
  end
  if state.overlap == 'bufferOne' and not state.buffered then
    return 'buffer'
  end
  return 'skip'
end

-- The highest fencing token of the task's runs that started (at their claim, or at the confirmation of a run
-- claimed ahead), kept as a string like every token: a run claimed ahead with a lower one must not start after it.
local function noteStarted(state, fence)
  if tonumber(fence) > (tonumber(state.startedFence) or 0) then
    state.startedFence = fence
  end
end

-- Whether a run of the task with a higher token than `fence` has started already.
local function laterRunStarted(state, fence)
  return (tonumber(state.startedFence) or 0) > tonumber(fence)
end

-- The run started in Redis at `startAt` (its claim, or the confirmation of a run claimed ahead): its handler is
-- called within the start window after it, or its replica asks Redis again first (schedulerStartRuns, `recheck`);
-- a change of its task waits for the window's end (confirmedStartWaitMs), so that once the change has returned no
-- handler of the old definition starts.
local function openStartWindow(state, startAt, startWindowMs)
  state.startsBy = math.max(tonumber(state.startsBy) or 0, startAt + startWindowMs)
end

-- claim: { instanceId, id, defaultLeaseMs, startWindowMs } of the claim call, its id recorded so that the runs of a
-- claim whose reply was lost can be found and given back (schedulerPeek). ahead: a fire claimed ahead (it starts at
-- startAt, once its replica confirms the start).
local function startRun(K, taskId, state, scheduledAt, attempt, kind, claim, startAt, ahead, withTask)
  local leaseMs = tonumber(state.leaseMs) or 0
  if leaseMs <= 0 then
    leaseMs = claim.defaultLeaseMs
  end
  local fence = nextCounterValue(K)
  local leaseMember = taskId .. '|' .. fence
  rcall('ZADD', K.leases, startAt + leaseMs, leaseMember)
  rcall('HSET', K.runs, leaseMember, cjson.encode({
    taskId = taskId,
    fence = fence,
    scheduledAt = scheduledAt,
    startedAt = startAt,
    attempt = attempt,
    instanceId = claim.instanceId,
    claim = claim.id,
    workflow = state.workflow,
    incarnation = state.incarnation,
    version = state.version,
    kind = kind,
    ahead = ahead,
  }))
  state.fence = fence
  if not ahead then
    noteStarted(state, fence)
    openStartWindow(state, startAt, claim.startWindowMs)
  end
  state.lastRunAt = startAt
  state.lastStatus = 'running'
  state.running = (state.running or 0) + 1
  state.runCount = (state.runCount or 0) + 1
  if ahead then
    state.ahead = { fence = fence, startAt = startAt, scheduledAt = scheduledAt }
  end
  saveState(taskId, state)
  return { taskId, tonumber(fence), scheduledAt, attempt, startAt, leaseMs, kind, withTask and readTask(K, taskId) }
end

-- The state of the task the run was started for, nil when the task was removed (or removed and added again).
local function runTaskState(K, run)
  local state = readState(K, run.taskId)
  if state and state.incarnation == run.incarnation then
    return state
  end
  return nil
end

-- The runs holding the leases `leaseMembers` (false where gone, or, when instanceId is given, another replica's),
-- and the workflows of their tasks: what a script must have declared before it ends, loses or starts them.
local function readRuns(K, leaseMembers, instanceId)
  local runs, workflows = {}, {}
  for i, leaseMember in ipairs(leaseMembers) do
    local record = rcall('HGET', K.runs, leaseMember)
    local run = record and cjson.decode(record)
    if run and instanceId and run.instanceId ~= instanceId then
      run = nil
    end
    runs[i] = run or false
    local state = run and runTaskState(K, run)
    if state then
      workflows[#workflows + 1] = state.workflow
    end
  end
  return runs, workflows
end

local function endRun(K, leaseMember, run)
  rcall('ZREM', K.leases, leaseMember)
  rcall('HDEL', K.runs, leaseMember)
  local state = runTaskState(K, run)
  if not state then
    return nil
  end
  state.running = math.max((state.running or 1) - 1, 0)
  if state.ahead and state.ahead.fence == run.fence then
    state.ahead = nil
  end
  saveState(run.taskId, state)
  return state
end

local function releaseBuffered(K, taskId, state, now)
  if busyRuns(state) == 0 and state.buffered then
    rcall('ZADD', K.pending[state.workflow], now, pendingMember(K, taskId, state.buffered, 1, 'buffered'))
    state.buffered = nil
    state.released = (state.released or 0) + 1
    saveState(taskId, state)
  end
end

-- A retry of the run's fire: a pending `retry` entry at retryAt with the given attempt.
local function queueRetry(K, run, state, attempt, retryAt)
  rcall('ZADD', K.pending[state.workflow], retryAt, pendingMember(K, run.taskId, run.scheduledAt, attempt, 'retry'))
  state.retrying = (state.retrying or 0) + 1
  saveState(run.taskId, state)
end

-- A run claimed ahead that never started, given back (its replica stopped, died, or found Redis unreachable at its
-- time): no attempt is used and nothing is recorded. When no later fire of its task was claimed since, the fire goes
-- back into the schedule as if never claimed (its misfire policy then applies as to any late fire); else the same
-- attempt waits as a pending retry, never before its time. A fire of a task disabled since (after Redis confirmed
-- the run, before its handler was called) is dropped, as disabling drops the next fire. Returns when it is due
-- again, nil when dropped.
local function giveBack(K, run, state, now)
  if run.kind == 'scheduled' and not state.enabled then
    state.lastStatus = 'cancelled'
    saveState(run.taskId, state)
    return nil
  end
  if run.kind == 'scheduled' and state.lastFireAt == run.scheduledAt then
    state.nextRunAt = run.scheduledAt
    state.lastFireAt = run.scheduledAt - 1
    state.lastStatus = 'pending'
    saveState(run.taskId, state)
    rcall('ZADD', K.due[state.workflow], run.startedAt, run.taskId)
    return run.startedAt
  end
  local retryAt = math.max(now, run.startedAt)
  queueRetry(K, run, state, run.attempt, retryAt)
  state.lastStatus = 'pending'
  return retryAt
end

-- Ends a run whose handler never started and gives it back (giveBack), letting a buffered fire go. Returns when
-- it is due again, nil when its task is gone (removed, or removed and added again).
local function giveBackRun(K, leaseMember, run, now)
  local state = endRun(K, leaseMember, run)
  if not state then
    return nil
  end
  local dueAt = giveBack(K, run, state, now)
  releaseBuffered(K, run.taskId, state, now)
  return dueAt
end

-- Cancels the task's run claimed ahead whose start was not confirmed yet (the replica that claimed it then finds
-- it gone and does not start it): a task removed, disabled or changed fires nothing of its old definition after.
-- Its fire never ran nor was recorded: it no longer counts as the last fire, so that a new schedule firing at
-- that same instant runs it. Returns what `ahead` held ({ fence, startAt, scheduledAt }), nil when there was none.
local function cancelAheadRun(K, taskId, state, now)
  local ahead = state.ahead
  if not ahead then
    return nil
  end
  state.ahead = nil
  if state.lastFireAt == ahead.scheduledAt then
    state.lastFireAt = ahead.scheduledAt - 1
  end
  saveState(taskId, state)
  local leaseMember = taskId .. '|' .. ahead.fence
  local record = rcall('HGET', K.runs, leaseMember)
  if record then
    endRun(K, leaseMember, cjson.decode(record))
    state.lastStatus = 'cancelled'
    releaseBuffered(K, taskId, state, now)
  end
  return ahead
end

-- How long (ms) until the start window of the task's latest run started in Redis ends (openStartWindow), 0 when it
-- has: a removal, disable or definition change returns only after it, so that no handler of the old definition
-- starts once the change has returned (its handler was called by then, or will not be without Redis asked again).
local function confirmedStartWaitMs(state, now)
  local startsBy = state and tonumber(state.startsBy)
  if startsBy and startsBy > now then
    return startsBy - now
  end
  return 0
end

-- Disables a task's schedule: no next fire, out of its workflow's due index, a definition change (version + 1),
-- and its run claimed ahead cancelled. Pending entries (retries, a buffered or manual run) stay: `enabled`
-- governs the schedule only.
local function unscheduleTask(K, taskId, state, now)
  state.enabled = false
  state.updatedAt = now
  state.version = (state.version or 0) + 1
  state.nextRunAt = nil
  saveState(taskId, state)
  rcall('ZREM', K.due[state.workflow], taskId)
  cancelAheadRun(K, taskId, state, now)
end

-- After an attempt that did not succeed (failed, cancelled or lost): a retry (same scheduledAt, attempt + 1) at
-- retryAt when attempts remain; else the fire is over, and when it counts as a failure, failureCount + 1,
-- lastStatus `failed`, and the schedule is disabled once failureCount reaches maxConsecutiveFailures.
-- Returns retryAt (nil when no retry) and whether the task was disabled now.
local function settleUnsuccessful(K, run, state, now, retryAt, countsAsFailure, publishCommand)
  if run.attempt < tonumber(state.attempts) then
    queueRetry(K, run, state, run.attempt + 1, retryAt)
    return retryAt, false
  end
  if not countsAsFailure then
    return nil, false
  end
  state.failureCount = (state.failureCount or 0) + 1
  state.lastStatus = 'failed'
  saveState(run.taskId, state)
  if state.failureCount >= tonumber(state.maxFailures) and state.enabled then
    unscheduleTask(K, run.taskId, state, now)
    publishChange(K, publishCommand, 'disabled', run.taskId)
    return nil, true
  end
  return nil, false
end

-- A run whose lease expired at lostAt (its replica crashed, paused or lost Redis), seen by the reaper of
-- schedulerPeek or by schedulerFinishRun: recorded `lost`, then retried at once if attempts remain, else the fire
-- failed. A run claimed ahead whose start was never confirmed did not run: it is given back (giveBack).
-- Returns retryAt (nil when no retry) and whether the task was disabled now.
local function loseRun(K, leaseMember, run, lostAt, now, historyLength, publishCommand)
  local state = endRun(K, leaseMember, run)
  if not state then
    return nil, false
  end
  local retryAt, disabled = now, false
  if run.ahead == true then
    retryAt = giveBack(K, run, state, now)
  else
    pushHistory(K, run.taskId, state, historyLength, run.scheduledAt, run.startedAt, lostAt, 'lost', run.attempt,
      run.instanceId, 'lease expired')
    state.lastStatus = 'lost'
    retryAt, disabled = settleUnsuccessful(K, run, state, now, now, true, publishCommand)
  end
  releaseBuffered(K, run.taskId, state, now)
  return retryAt, disabled
end
