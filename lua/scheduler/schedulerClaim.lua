--[[
  Claims runs for one replica, atomically. First the scheduled fires due now the replica decided on (from
  schedulerPeek's candidates and the cron schedule): each is taken only if the task still has that next
  fire and that version, is enabled, and its workflow's keys were declared (else another replica claimed it, or
  the task changed: left alone); a fire at or before the task's lastFireAt never runs again. A taken fire
  records its missed fires, advances the next fire and due score, and is then run, buffered or skipped per the
  overlap policy. Then the due pending entries of the workflows (retries, buffered runs, manual triggers),
  earliest first; then the fires claimed ahead (below), so that a run waiting for its task's previous run goes
  before the task's next fire. A run due now needs a free slot: at most ARGV[2] of them start; a run claimed ahead
  takes its slot at its time, and at most ARGV[8] are claimed ahead; a fire that would run beyond those stays due,
  untouched.
  Overlap (includes/runLifecycle): with `skip` or `bufferOne`, a retry waiting counts as a run, so a task's runs
  start one at a time and in fire order; a retry never waits for a fire.
  Claim ahead: a fire whose due score (`dueAt`, its time plus jitter) is still ahead but within the
  look-ahead window is claimed now and starts at its due score, once its replica confirmed the start
  (schedulerStartRuns): its lease runs from then. Only a fire that runs is claimed ahead, and only while no other
  run of its task waits for its start: one that overlap would buffer or skip is left untouched, to be decided at
  its due time. Pending entries are never claimed ahead, and
  one of a task whose run claimed ahead has not started yet waits for that start (fencing tokens keep increasing
  in the order the runs start). A decision without `dueAt` is only taken once due.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] instance id
    ARGV[2] most runs to start
    ARGV[3] lease (ms) of tasks without their own
    ARGV[4] history length
    ARGV[5] decisions JSON: [{ taskId, expectedFireTime, version, runAt (null: none), missed: [fire times],
            nextRunAt (null: none), nextDueScore, dueAt (optional: the due score of runAt) }]
    ARGV[6] look-ahead (ms): a fire due up to now + this may be claimed ahead
    ARGV[7] claim id, unique per call, recorded with each run (should the reply be lost, schedulerPeek gives the
            claim's runs back)
    ARGV[8] most runs to claim ahead
    ARGV[9] start window (ms): a change of a task waits this long after a run of it started (includes/runLifecycle)
    ARGV[10..n] workflows this replica runs
  Output:
    { now, runs }: Redis time (ms) of the claim, and the runs started: { { id, fence, scheduledAt, attempt,
    startedAt, leaseMs, kind, task }, ... }, kind being scheduled, retry, buffered or manual, task = { id,
    definition JSON, state JSON } for a pending entry's run, false for a scheduled fire's (the replica has it
    from its decision's candidate, same version); an error reply `UNDECLARED_WORKFLOWS <JSON list>` (nothing
    written) when the keys of one of the replica's workflows were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/history"
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/runLifecycle"

local K = namespaceKeys(KEYS)
local instanceId, maxClaims, defaultLeaseMs, historyLength =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local decisions = cjson.decode(ARGV[5])
local lookAheadMs = tonumber(ARGV[6])
local claim =
  { instanceId = instanceId, id = ARGV[7], defaultLeaseMs = defaultLeaseMs, startWindowMs = tonumber(ARGV[9]) }
local maxAhead = tonumber(ARGV[8])
local workflows = {}
for i = 10, #ARGV do
  workflows[#workflows + 1] = ARGV[i]
end
local undeclared = undeclaredWorkflowsReply(K, workflows)
if undeclared then
  return undeclared
end
local now = nowMs()
local claimed = {}
-- Runs claimed by this call that start now, and that start ahead.
local claimedNow, claimedAhead = 0, 0

local function present(value)
  return value ~= nil and value ~= cjson.null
end

local function recordSkipped(taskId, state, scheduledAt)
  pushHistory(K, taskId, state, historyLength, scheduledAt, nil, nil, 'skipped', 1, nil, nil)
  state.lastStatus = 'skipped'
end

local function claimDecision(decision)
  local taskId = decision.taskId
  -- A fire due later than now is only claimed ahead, within the window; without its due score, not at all.
  local startAt = now
  local ahead = false
  if present(decision.dueAt) then
    if decision.dueAt > now then
      startAt = decision.dueAt
      ahead = true
    end
  elseif decision.expectedFireTime > now then
    startAt = nil
  end
  local state = nil
  if startAt and startAt <= now + lookAheadMs then
    state = readState(K, taskId)
  end
  if not state or state.nextRunAt ~= decision.expectedFireTime or state.version ~= decision.version
    or not state.enabled or not K.due[state.workflow] then
    return
  end
  local lastFireAt = state.lastFireAt or -1
  local runAt = nil
  if present(decision.runAt) and decision.runAt > lastFireAt then
    runAt = decision.runAt
  end
  local action = nil
  if runAt then
    action = overlapAction(state)
  end
  -- One run claimed ahead per task at a time (a look-ahead longer than the period under overlap `allow`): the
  -- later fire is claimed once the earlier one started, so that a change can cancel and put back each of them.
  if (action ~= 'run' and ahead) or (ahead and state.ahead) then
    return
  end
  if action == 'run' and ((ahead and claimedAhead >= maxAhead) or (not ahead and claimedNow >= maxClaims)) then
    return
  end
  local latestFire = math.max(lastFireAt, decision.expectedFireTime, runAt or -1)
  local missed = {}
  for _, fireTime in ipairs(decision.missed) do
    if fireTime > lastFireAt then
      missed[#missed + 1] = fireTime
    end
  end
  table.sort(missed)
  for _, fireTime in ipairs(missed) do
    pushHistory(K, taskId, state, historyLength, fireTime, nil, nil, 'missed', 1, nil, nil)
    state.lastStatus = 'missed'
    latestFire = math.max(latestFire, fireTime)
  end
  state.lastFireAt = latestFire
  if present(decision.nextRunAt) then
    state.nextRunAt = decision.nextRunAt
    rcall('ZADD', K.due[state.workflow], present(decision.nextDueScore) and decision.nextDueScore or
      decision.nextRunAt, taskId)
  else
    state.nextRunAt = nil
    rcall('ZREM', K.due[state.workflow], taskId)
  end
  saveState(taskId, state)
  if action == 'run' then
    claimed[#claimed + 1] = startRun(K, taskId, state, runAt, 1, 'scheduled', claim, startAt, ahead, false)
    if ahead then
      claimedAhead = claimedAhead + 1
    else
      claimedNow = claimedNow + 1
    end
  elseif action == 'buffer' then
    state.buffered = runAt
  elseif action == 'skip' then
    recordSkipped(taskId, state, runAt)
  end
end

-- A retry's (or a released buffered fire's) slot is its own (overlap keeps fires out while it waits); should a run
-- of its task still be in progress under `skip` or `bufferOne`, it waits this long and is looked at again.
local RETRY_DEFER_MS = 1000
local function claimPending()
  local pending = {}
  for _, workflow in ipairs(workflows) do
    local entries = rcall('ZRANGEBYSCORE', K.pending[workflow], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
    for j = 1, #entries, 2 do
      pending[#pending + 1] = { entries[j], tonumber(entries[j + 1]), workflow }
    end
  end
  table.sort(pending, function(a, b)
    return a[2] < b[2]
  end)
  for _, entry in ipairs(pending) do
    local member = entry[1]
    local pendingKey = K.pending[entry[3]]
    local taskId, scheduledAt, attempt, kind = parsePendingMember(member)
    local state = readState(K, taskId)
    local action = 'drop'
    if state and (kind == 'retry' or kind == 'buffered') then
      -- Its turn is its own (overlap counted it while it waited): it waits only for a run still in progress.
      action = (state.overlap ~= 'allow' and (state.running or 0) > 0) and 'defer' or 'run'
    elseif state then
      action = overlapAction(state)
    end
    if action == 'run' and claimedNow >= maxClaims then
      break
    end
    -- A run of the task claimed ahead, not started yet (not confirmed, or confirmed for a time still to come),
    -- holds a lower fencing token: this one waits until that one has started, so that tokens keep increasing in
    -- the order the runs start.
    local aheadNotStarted = state and (state.ahead or (tonumber(state.startsAt) or 0) > now)
    if not (action == 'run' and aheadNotStarted) then
      if action == 'defer' then
        rcall('ZADD', pendingKey, now + RETRY_DEFER_MS, member)
      else
        rcall('ZREM', pendingKey, member)
      end
      if action == 'run' then
        if kind == 'retry' then
          state.retrying = math.max((state.retrying or 1) - 1, 0)
        elseif kind == 'buffered' then
          state.released = math.max((state.released or 1) - 1, 0)
        end
        claimed[#claimed + 1] = startRun(K, taskId, state, scheduledAt, attempt, kind, claim, now, false,
          true)
        claimedNow = claimedNow + 1
      elseif action == 'buffer' then
        state.buffered = scheduledAt
        saveState(taskId, state)
      elseif action == 'skip' then
        recordSkipped(taskId, state, scheduledAt)
      end
    end
  end
end

-- Fires due now first, then the pending entries (retries, buffered and manual runs, due now), then the fires
-- claimed ahead: a run waiting for its task's previous run to end goes before that task's next fire.
local function isAhead(decision)
  return present(decision.dueAt) and decision.dueAt > now
end
for _, decision in ipairs(decisions) do
  if not isAhead(decision) then
    claimDecision(decision)
  end
end
claimPending()
for _, decision in ipairs(decisions) do
  if isAhead(decision) then
    claimDecision(decision)
  end
end
writeStates(K)
return { now, claimed }
