--[[
  Records the end of one or more runs of one replica (the runs that ended in the same tick, in one call),
  each fenced: accepted only from the lease's owner while the lease holds. A lease seen expired here is
  handled as the reaper would (recorded `lost`, retried or failed) and that finish is refused. A run of a
  task removed meanwhile is accepted and records nothing.
  success: history `success`, failureCount 0. failed/cancelled: with attempts left a pending `retry` entry
  at now + backoffMs * 2^(attempt - 1) and history `retry` (`cancelled` for a cancelled one); else history
  `failed` and failureCount + 1 (the schedule is disabled at maxConsecutiveFailures), or `cancelled`, which
  is not counted as a failure. unstarted (a run whose handler was never called: Redis unreachable at its start,
  or its replica stopping first): given back, no attempt used and nothing recorded (includes/runLifecycle giveBack).
  Then a fire buffered under `bufferOne` goes, once nothing of the task runs or waits for a retry.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] instance id of the replica that ran them
    ARGV[2] history length
    ARGV[3] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
    ARGV[4..n] per run, five arguments: task id, fencing token, status (success, failed, cancelled or unstarted),
            error message ('' for none), error stack ('' for none)
  Output:
    per run, in order: { accepted 1/0, disabled now 1/0, retryAt (ms) or -1 }; an error reply
    `UNDECLARED_WORKFLOWS <JSON list>` (nothing written) when a run's task's workflow keys were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/history"
--- @include "scheduler/includes/runLifecycle"

local K = namespaceKeys(KEYS)
local instanceId, historyLength, publishCommand = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now = nowMs()

-- Read first: every workflow the finishes may write to must have been declared.
local leaseMembers = {}
for i = 4, #ARGV, 5 do
  leaseMembers[#leaseMembers + 1] = ARGV[i] .. '|' .. ARGV[i + 1]
end
local runs, touched = readRuns(K, leaseMembers, instanceId)
local undeclared = undeclaredWorkflowsReply(K, touched)
if undeclared then
  return undeclared
end

local function finishOne(leaseMember, run, status, errorArgument, stackArgument)
  if not run then
    return { 0, 0, -1 }
  end
  local expiry = tonumber(rcall('ZSCORE', K.leases, leaseMember))
  if not expiry or expiry <= now then
    local retryAt, disabled = loseRun(K, leaseMember, run, expiry or now, now, historyLength, publishCommand)
    return { 0, disabled and 1 or 0, retryAt or -1 }
  end
  local state = endRun(K, leaseMember, run)
  if not state then
    return { 1, 0, -1 }
  end
  local taskId = run.taskId
  if status == 'unstarted' then
    local dueAt = giveBack(K, run, state, now)
    releaseBuffered(K, taskId, state, now)
    return { 1, 0, dueAt or -1 }
  end
  if status == 'success' then
    pushHistory(K, taskId, state, historyLength, run.scheduledAt, run.startedAt, now, 'success', run.attempt,
      run.instanceId, nil)
    state.lastStatus = 'success'
    state.failureCount = 0
    releaseBuffered(K, taskId, state, now)
    return { 1, 0, -1 }
  end
  local retries = run.attempt < tonumber(state.attempts)
  local recorded = status
  if status == 'failed' then
    recorded = retries and 'retry' or 'failed'
  end
  pushHistory(K, taskId, state, historyLength, run.scheduledAt, run.startedAt, now, recorded, run.attempt,
    run.instanceId, errorArgument ~= '' and errorArgument or nil, stackArgument ~= '' and stackArgument or nil)
  state.lastStatus = recorded
  -- Exponential backoff, its exponent bounded so that the delay stays a plain integer (at most ~12 days).
  local delay = tonumber(state.backoffMs) * 2 ^ math.min(run.attempt - 1, 30)
  local retryAt, disabled = settleUnsuccessful(K, run, state, now, now + math.min(delay, 2 ^ 30), status == 'failed',
    publishCommand)
  releaseBuffered(K, taskId, state, now)
  return { 1, disabled and 1 or 0, retryAt or -1 }
end

local results = {}
for i, run in ipairs(runs) do
  results[i] = finishOne(leaseMembers[i], run, ARGV[5 * i + 1], ARGV[5 * i + 2], ARGV[5 * i + 3])
end
writeStates(K)
return results
