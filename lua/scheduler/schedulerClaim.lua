--[[
  Claims runs for one replica, atomically. First the scheduled fires the replica decided on (from
  schedulerPeek's candidates and the cron schedule): each is taken only if the task still has that next
  fire and that version (else another replica claimed it, or the task changed: left alone); a fire at or
  before the task's lastFireAt never runs again. A taken fire records its missed fires, advances the next
  fire and due score, and is then run, buffered or skipped per the overlap policy (applied to first
  attempts only). Then the due pending entries of the workflows (retries, buffered runs, manual triggers),
  earliest first. A run needs a free slot: at most ARGV[2] runs start; a fire that would run without a
  slot stays due, untouched.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] instance id
    ARGV[2] most runs to start
    ARGV[3] lease (ms) of tasks without their own
    ARGV[4] history length
    ARGV[5] decisions JSON: [{ taskId, expectedFireTime, version, runAt (null: none), missed: [fire times],
            nextRunAt (null: none), nextDueScore }]
    ARGV[6..n] workflows this replica runs
  Output:
    the runs started: { { id, fence, scheduledAt, attempt, startedAt, leaseMs, kind, task }, ... }, kind
    being scheduled, retry, buffered or manual, task = { id, definition JSON, state field/value list }
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

for _, decision in ipairs(decisions) do
  local taskId = decision.taskId
  local stateKey = base .. ':state:' .. taskId
  local state = rcall('HMGET', stateKey, 'nextRunAt', 'version', 'enabled', 'lastFireAt', 'running', 'overlap',
    'buffered', 'workflow')
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
    if action ~= 'run' or #claimed < maxClaims then
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
      rcall('HSET', stateKey, 'lastFireAt', latestFire)
      local dueKey = base .. ':due:' .. state[8]
      if present(decision.nextRunAt) then
        local score = present(decision.nextDueScore) and decision.nextDueScore or decision.nextRunAt
        rcall('HSET', stateKey, 'nextRunAt', decision.nextRunAt)
        rcall('ZADD', dueKey, score, taskId)
      else
        rcall('HDEL', stateKey, 'nextRunAt')
        rcall('ZREM', dueKey, taskId)
      end
      if action == 'run' then
        claimed[#claimed + 1] = startRun(base, taskId, runAt, 1, 'scheduled', instanceId, defaultLeaseMs, now)
      elseif action == 'buffer' then
        rcall('HSET', stateKey, 'buffered', runAt)
      elseif action == 'skip' then
        recordSkipped(taskId, runAt)
      end
    end
  end
end

local pending = {}
for i = 6, #ARGV do
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
  local state = rcall('HMGET', stateKey, 'incarnation', 'running', 'overlap', 'buffered')
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
  rcall('ZREM', base .. ':pending:' .. workflow, member)
  if action == 'run' then
    claimed[#claimed + 1] = startRun(base, taskId, scheduledAt, attempt, kind, instanceId, defaultLeaseMs, now)
  elseif action == 'buffer' then
    rcall('HSET', stateKey, 'buffered', scheduledAt)
  elseif action == 'skip' then
    recordSkipped(taskId, scheduledAt)
  end
end
return claimed
