--[[
  Claims runs for one replica, atomically. First the scheduled fires due now the replica decided on (from
  schedulerPeek's candidates and the cron schedule): each is taken only if the task still has that next
  fire and that version (else another replica claimed it, or the task changed: left alone); a fire at or
  before the task's lastFireAt never runs again. A taken fire records its missed fires, advances the next
  fire and due score, and is then run, buffered or skipped per the overlap policy (applied to first
  attempts only). Then the due pending entries of the workflows (retries, buffered runs, manual triggers),
  earliest first; then the fires claimed ahead (below), so that a run waiting for its task's previous run
  goes before the task's next fire. A run needs a free slot: at most ARGV[2] runs start; a fire that
  would run without a slot stays due, untouched.
  Claim ahead: a fire whose due score (`dueAt`, its time plus jitter) is still ahead but within the
  look-ahead window is claimed now and starts at its due score: its startedAt and lastRunAt are `dueAt`,
  its lease runs from then. Only a fire that runs is claimed ahead: one that overlap would buffer or skip
  (a run of its task in progress) is left untouched, to be decided at its due time. Pending entries are
  never claimed ahead, and one of a task whose run claimed ahead has not started yet waits until shortly
  after that start (fencing tokens keep increasing in the order the runs start). A decision without
  `dueAt` is only taken once due.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] instance id
    ARGV[2] most runs to start
    ARGV[3] lease (ms) of tasks without their own
    ARGV[4] history length
    ARGV[5] decisions JSON: [{ taskId, expectedFireTime, version, runAt (null: none), missed: [fire times],
            nextRunAt (null: none), nextDueScore, dueAt (optional: the due score of runAt) }]
    ARGV[6] look-ahead (ms): a fire due up to now + this may be claimed ahead
    ARGV[7..n] workflows this replica runs
  Output:
    { now, runs }: Redis time (ms) of the claim, and the runs started: { { id, fence, scheduledAt, attempt,
    startedAt, leaseMs, kind, task }, ... }, kind being scheduled, retry, buffered or manual, task = { id,
    definition JSON, state field/value list } for a pending entry's run, false for a scheduled fire's (the
    replica has it from its decision's candidate, same version)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/pushHistory"
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/startRun"

local base = KEYS[1]
local instanceId, maxClaims, defaultLeaseMs, historyLength =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local decisions = cjson.decode(ARGV[5])
local lookAheadMs = tonumber(ARGV[6])
local now = nowMs()
local claimed = {}

local function present(value)
  return value ~= nil and value ~= cjson.null
end

-- What overlap makes of a first attempt: run, buffer (bufferOne, none waiting yet) or skip.
local function overlapAction(running, overlap, buffered)
  if running == 0 or overlap == 'allow' then
    return 'run'
  end
  if overlap == 'bufferOne' and not buffered then
    return 'buffer'
  end
  return 'skip'
end

local function recordSkipped(taskId, scheduledAt)
  pushHistory(base, taskId, historyLength, scheduledAt, nil, nil, 'skipped', 1, nil, nil)
  rcall('HSET', base .. ':state:' .. taskId, 'lastStatus', 'skipped')
end

local function claimDecision(decision)
  local taskId = decision.taskId
  local stateKey = base .. ':state:' .. taskId
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
  local state = {}
  if startAt and startAt <= now + lookAheadMs then
    state = rcall('HMGET', stateKey, 'nextRunAt', 'version', 'enabled', 'lastFireAt', 'running', 'overlap',
      'buffered', 'workflow', 'leaseMs', 'incarnation')
  end
  if state[1] and tonumber(state[1]) == decision.expectedFireTime and tonumber(state[2]) == decision.version
    and state[3] == '1' then
    local lastFireAt = tonumber(state[4] or '-1')
    local runAt = nil
    if present(decision.runAt) and decision.runAt > lastFireAt then
      runAt = decision.runAt
    end
    local action = nil
    if runAt then
      action = overlapAction(tonumber(state[5] or '0'), state[6], state[7])
    end
    if (action == 'run' or not ahead) and (action ~= 'run' or #claimed < maxClaims) then
      local latestFire = math.max(lastFireAt, decision.expectedFireTime, runAt or -1)
      local missed = {}
      for _, fireTime in ipairs(decision.missed) do
        if fireTime > lastFireAt then
          missed[#missed + 1] = fireTime
        end
      end
      table.sort(missed)
      for _, fireTime in ipairs(missed) do
        pushHistory(base, taskId, historyLength, fireTime, nil, nil, 'missed', 1, nil, nil)
        rcall('HSET', stateKey, 'lastStatus', 'missed')
        latestFire = math.max(latestFire, fireTime)
      end
      local dueKey = base .. ':due:' .. state[8]
      if present(decision.nextRunAt) then
        local score = present(decision.nextDueScore) and decision.nextDueScore or decision.nextRunAt
        rcall('HSET', stateKey, 'lastFireAt', latestFire, 'nextRunAt', decision.nextRunAt)
        rcall('ZADD', dueKey, score, taskId)
      else
        rcall('HSET', stateKey, 'lastFireAt', latestFire)
        rcall('HDEL', stateKey, 'nextRunAt')
        rcall('ZREM', dueKey, taskId)
      end
      if action == 'run' then
        claimed[#claimed + 1] = startRun(base, taskId, runAt, 1, 'scheduled', instanceId, defaultLeaseMs, startAt,
          ahead, false, { state[9], state[8], state[10] })
      elseif action == 'buffer' then
        rcall('HSET', stateKey, 'buffered', runAt)
      elseif action == 'skip' then
        recordSkipped(taskId, runAt)
      end
    end
  end
end

-- How long after the start of a run claimed ahead a pending entry of its task waits: the ahead run's handler
-- starts on its replica's timer at that time, this one only after a round trip.
local AHEAD_START_MARGIN_MS = 50
local function claimPending()
  local pending = {}
  for i = 7, #ARGV do
    local entries = rcall('ZRANGEBYSCORE', base .. ':pending:' .. ARGV[i], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
    for j = 1, #entries, 2 do
      pending[#pending + 1] = { entries[j], tonumber(entries[j + 1]), ARGV[i] }
    end
  end
  table.sort(pending, function(a, b)
    return a[2] < b[2]
  end)
  for _, entry in ipairs(pending) do
    local member, workflow = entry[1], entry[3]
    local taskId, scheduledAt, attempt, kind = parsePendingMember(member)
    local stateKey = base .. ':state:' .. taskId
    local state = rcall('HMGET', stateKey, 'incarnation', 'running', 'overlap', 'buffered', 'aheadStartAt', 'leaseMs',
      'workflow')
    local action = 'drop'
    if state[1] then
      action = 'run'
      if kind ~= 'retry' then
        action = overlapAction(tonumber(state[2] or '0'), state[3], state[4])
      end
    end
    if action == 'run' and #claimed >= maxClaims then
      break
    end
    -- A run of the task claimed ahead, not started yet, holds a lower fencing token: this one waits until that
    -- one has started, so that tokens keep increasing in the order the runs start.
    local waits = action == 'run' and tonumber(state[5] or '-1') + AHEAD_START_MARGIN_MS > now
    if not waits then
      rcall('ZREM', base .. ':pending:' .. workflow, member)
      if action == 'run' then
        claimed[#claimed + 1] = startRun(base, taskId, scheduledAt, attempt, kind, instanceId, defaultLeaseMs, now,
          false, true, { state[6], state[7], state[1] })
      elseif action == 'buffer' then
        rcall('HSET', stateKey, 'buffered', scheduledAt)
      elseif action == 'skip' then
        recordSkipped(taskId, scheduledAt)
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
return { now, claimed }
