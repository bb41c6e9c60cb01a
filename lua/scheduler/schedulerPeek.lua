--[[
  One look of a replica at its workflows: records its heartbeat (and, when asked, deletes the heartbeats of
  replicas silent for longer than a given age), reaps expired leases (each run recorded `lost`, then retried
  or failed), and returns the due fires of its workflows with their tasks: those due now, and those due within
  the look-ahead window that may be claimed ahead (see includes/collectDue).
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] instance id
    ARGV[2] most candidates due by now to return
    ARGV[3] history length
    ARGV[4] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
    ARGV[5] JSON list of task ids to pass over (due fires this replica cannot decide on): neither returned,
            nor counted toward ARGV[2], nor making nextWakeAt now
    ARGV[6] look-ahead (ms): fires due up to now + this are returned
    ARGV[7] where the window of due fires starts when more are due than asked for: a fraction in [0, 1)
    ARGV[8] age (ms) past which another replica's heartbeat is deleted, 0 to keep them all this time
    ARGV[9] JSON list of the ids of this replica's claims whose replies were lost: their runs, which the replica
            never learned of (no handler started), are given back (includes/runLifecycle giveBack)
    ARGV[10] most candidates due later (within the look-ahead) to return
    ARGV[11..n] workflows this replica runs
  Output:
    { now, candidates, pendingDue, nextWakeAt, lost, givenBack }: now: Redis time (ms); candidates, pendingDue and
    nextWakeAt as includes/collectDue returns them; lost: { { taskId, fence, attempt, retryAt or -1,
    disabled 1/0 }, ... } reaped now; givenBack: how many runs of lost claims were given back; an error reply
    `UNDECLARED_WORKFLOWS <JSON list>` (nothing written) when the keys of one of the replica's workflows, or of a
    reaped run's or a lost claim's run's task, were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/runLifecycle"
--- @include "scheduler/includes/collectDue"

local K = namespaceKeys(KEYS)
local instanceId, limit, historyLength, publishCommand = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local heartbeatMaxAge = tonumber(ARGV[8])
local now = nowMs()

local passOver = {}
local passOverCount = 0
for _, taskId in ipairs(cjson.decode(ARGV[5])) do
  passOver[taskId] = true
  passOverCount = passOverCount + 1
end
local workflows = {}
for i = 11, #ARGV do
  workflows[#workflows + 1] = ARGV[i]
end

-- The runs of this replica's claims whose replies were lost (a scan of the runs in progress: it happens only
-- after such a loss).
local lostClaims = {}
local anyLostClaim = false
for _, claimId in ipairs(cjson.decode(ARGV[9])) do
  lostClaims[claimId] = true
  anyLostClaim = true
end
local orphanMembers = {}
if anyLostClaim then
  local records = rcall('HGETALL', K.runs)
  for i = 1, #records, 2 do
    local run = cjson.decode(records[i + 1])
    if run.instanceId == instanceId and run.claim and lostClaims[run.claim] then
      orphanMembers[#orphanMembers + 1] = records[i]
    end
  end
end

-- Read first: every workflow this look may write to must have been declared.
local expired = rcall('ZRANGEBYSCORE', K.leases, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
local expiredMembers = {}
for i = 1, #expired, 2 do
  expiredMembers[#expiredMembers + 1] = expired[i]
end
local expiredRuns, touched = readRuns(K, expiredMembers, nil)
local orphanRuns, orphanWorkflows = readRuns(K, orphanMembers, instanceId)
for _, workflow in ipairs(orphanWorkflows) do
  touched[#touched + 1] = workflow
end
for _, workflow in ipairs(workflows) do
  touched[#touched + 1] = workflow
end
local undeclared = undeclaredWorkflowsReply(K, touched)
if undeclared then
  return undeclared
end

rcall('HSET', K.replicas, instanceId, cjson.encode({ workflows = workflows, seenAt = now }))
-- The start windows of removed tasks that have ended (schedulerRemoveTask) are forgotten.
rcall('ZREMRANGEBYSCORE', K.removed, '-inf', now)
if heartbeatMaxAge > 0 then
  local heartbeats = rcall('HGETALL', K.replicas)
  for i = 1, #heartbeats, 2 do
    if cjson.decode(heartbeats[i + 1]).seenAt < now - heartbeatMaxAge then
      rcall('HDEL', K.replicas, heartbeats[i])
    end
  end
end

local lost = {}
for i, run in ipairs(expiredRuns) do
  local leaseMember, expiry = expired[2 * i - 1], tonumber(expired[2 * i])
  if run then
    local retryAt, disabled = loseRun(K, leaseMember, run, expiry, now, historyLength, publishCommand)
    lost[#lost + 1] = { run.taskId, tonumber(run.fence), run.attempt, retryAt or -1, disabled and 1 or 0 }
  else
    rcall('ZREM', K.leases, leaseMember)
  end
end

local givenBack = 0
for i, run in ipairs(orphanRuns) do
  if run and giveBackRun(K, orphanMembers[i], run, now) then
    givenBack = givenBack + 1
  end
end

local candidates, pendingDue, nextWakeAt = collectDue(K, workflows, limit, tonumber(ARGV[10]), passOver,
  passOverCount, now, tonumber(ARGV[6]), tonumber(ARGV[7]))
writeStates(K)
return { now, candidates, pendingDue, nextWakeAt, lost, givenBack }
