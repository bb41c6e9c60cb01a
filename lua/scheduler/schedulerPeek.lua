--[[
  One look of a replica at its workflows: records its heartbeat, reaps expired leases (each run recorded
  `lost`, then retried or failed), and returns the due fires of its workflows with their tasks: those due
  now, and those due within the look-ahead window that may be claimed ahead (see includes/collectDue).
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] instance id
    ARGV[2] most candidates to return
    ARGV[3] history length
    ARGV[4] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
    ARGV[5] JSON list of task ids to pass over (due fires this replica cannot decide on): neither returned,
            nor counted toward ARGV[2], nor making nextWakeAt now
    ARGV[6] look-ahead (ms): fires due up to now + this are returned
    ARGV[7] where the window of due fires starts when more are due than asked for: a fraction in [0, 1)
    ARGV[8..n] workflows this replica runs
  Output:
    { now, candidates, pendingDue, nextWakeAt, lost }: now: Redis time (ms); candidates, pendingDue and
    nextWakeAt as includes/collectDue returns them; lost: { { taskId, fence, attempt, retryAt or -1,
    disabled 1/0 }, ... } reaped now
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/loseRun"
--- @include "scheduler/includes/collectDue"

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
for i = 8, #ARGV do
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

local candidates, pendingDue, nextWakeAt = collectDue(base, workflows, limit, passOver, passOverCount, now,
  tonumber(ARGV[6]), tonumber(ARGV[7]))
return { now, candidates, pendingDue, nextWakeAt, lost }
