--[[
  One look of a replica at its workflows: records its heartbeat, reaps expired leases (each run recorded
  `lost`, then retried or failed), and returns the due fires of its workflows with their tasks.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] instance id
    ARGV[2] most candidates to return
    ARGV[3] history length
    ARGV[4] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
    ARGV[5] JSON list of task ids to pass over (due fires this replica cannot decide on): neither returned,
            nor counted toward ARGV[2], nor making nextWakeAt now
    ARGV[6..n] workflows this replica runs
  Output:
    { now, candidates, pendingDue, nextWakeAt, lost }
    now: Redis time (ms); candidates: { { task, fireTime }, ... } earliest due score first, task =
    { id, definition JSON, state field/value list }, fireTime = the task's nextRunAt; pendingDue: pending
    entries (retry, buffered, manual) of the workflows due now; nextWakeAt: the earliest future due or
    pending score of the workflows or lease expiry of the namespace (now when more is due than returned),
    -1 for none; lost: { { taskId, fence, attempt, retryAt or -1, disabled 1/0 }, ... } reaped now
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/loseRun"

local base = KEYS[1]
local instanceId, limit, historyLength, publishCommand = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local leasesKey = base .. ':leases'
local runsKey = base .. ':runs'
local now = nowMs()

local passOver = {}
local passOverCount = 0
for _, taskId in ipairs(cjson.decode(ARGV[5])) do
  passOver[taskId] = true
  passOverCount = passOverCount + 1
end
local workflows = {}
for i = 6, #ARGV do
  workflows[#workflows + 1] = ARGV[i]
end
rcall('HSET', base .. ':replicas', instanceId, cjson.encode({ workflows = workflows, seenAt = now }))

local lost = {}
local expired = rcall('ZRANGEBYSCORE', leasesKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
for i = 1, #expired, 2 do
  local leaseMember = expired[i]
  local record = rcall('HGET', runsKey, leaseMember)
  if record then
    local run = cjson.decode(record)
    local retryAt, disabled = loseRun(base, leaseMember, run, tonumber(expired[i + 1]), now, historyLength,
      publishCommand)
    local fence = string.match(leaseMember, '|(%d+)$')
    lost[#lost + 1] = { run.taskId, tonumber(fence), run.attempt, retryAt or -1, disabled and 1 or 0 }
  else
    rcall('ZREM', leasesKey, leaseMember)
  end
end

local due = {}
local pendingDue = 0
local nextWakeAt = -1
local function wakeAt(reply)
  if reply[2] then
    local score = tonumber(reply[2])
    if nextWakeAt == -1 or score < nextWakeAt then
      nextWakeAt = score
    end
  end
end
for _, workflow in ipairs(workflows) do
  local dueKey = base .. ':due:' .. workflow
  local pendingKey = base .. ':pending:' .. workflow
  local entries = rcall('ZRANGEBYSCORE', dueKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit + passOverCount + 1)
  for i = 1, #entries, 2 do
    if not passOver[entries[i]] then
      due[#due + 1] = { entries[i], tonumber(entries[i + 1]), workflow }
    end
  end
  pendingDue = pendingDue + rcall('ZCOUNT', pendingKey, '-inf', now)
  wakeAt(rcall('ZRANGEBYSCORE', dueKey, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1))
  wakeAt(rcall('ZRANGEBYSCORE', pendingKey, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1))
end
wakeAt(rcall('ZRANGE', leasesKey, 0, 0, 'WITHSCORES'))
table.sort(due, function(a, b)
  return a[2] < b[2]
end)

local candidates = {}
for _, entry in ipairs(due) do
  if #candidates >= limit then
    nextWakeAt = now
    break
  end
  local task = readTask(base, entry[1])
  local state = rcall('HMGET', base .. ':state:' .. entry[1], 'nextRunAt', 'enabled')
  if task and state[1] and state[2] == '1' then
    candidates[#candidates + 1] = { task, tonumber(state[1]) }
  else
    -- An index entry without a schedule behind it (should not happen): drop it rather than spin on it.
    rcall('ZREM', base .. ':due:' .. entry[3], entry[1])
  end
end
return { now, candidates, pendingDue, nextWakeAt, lost }
