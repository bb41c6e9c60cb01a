--[[
  Records the end of one or more runs of one replica (the runs that ended in the same tick, in one call),
  each fenced: accepted only from the lease's owner while the lease holds. A lease seen expired here is
  handled as the reaper would (recorded `lost`, retried or failed) and that finish is refused. A run of a
  task removed meanwhile is accepted and records nothing.
  success: history `success`, failureCount 0. failed/cancelled: with attempts left a pending `retry` entry
  at now + backoffMs * 2^(attempt - 1) and history `retry` (`cancelled` for a cancelled one); else history
  `failed` and failureCount + 1 (the schedule is disabled at maxConsecutiveFailures), or `cancelled`, which
  is not counted as a failure.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] instance id of the replica that ran them
    ARGV[2] history length
    ARGV[3] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
    ARGV[4..n] per run, four arguments: task id, fencing token, status (success, failed or cancelled),
            error message ('' for none)
  Output:
    per run, in order: { accepted 1/0, disabled now 1/0, retryAt (ms) or -1 }
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/pushHistory"
--- @include "scheduler/includes/releaseRun"
--- @include "scheduler/includes/settleUnsuccessful"
--- @include "scheduler/includes/loseRun"

local base = KEYS[1]
local instanceId, historyLength, publishCommand = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local runsKey = base .. ':runs'
local leasesKey = base .. ':leases'
local now = nowMs()

local function finishOne(taskId, fence, status, errorArgument)
  local leaseMember = taskId .. '|' .. fence
  local record = rcall('HGET', runsKey, leaseMember)
  if not record then
    return { 0, 0, -1 }
  end
  local run = cjson.decode(record)
  if run.instanceId ~= instanceId then
    return { 0, 0, -1 }
  end
  local expiry = tonumber(rcall('ZSCORE', leasesKey, leaseMember))
  if not expiry or expiry <= now then
    local retryAt, disabled = loseRun(base, leaseMember, run, expiry or now, now, historyLength, publishCommand)
    return { 0, disabled and 1 or 0, retryAt or -1 }
  end
  if not releaseRun(base, leaseMember, run, now) then
    return { 1, 0, -1 }
  end
  local stateKey = base .. ':state:' .. taskId
  local errorMessage = errorArgument ~= '' and errorArgument or nil
  if status == 'success' then
    pushHistory(base, taskId, historyLength, run.scheduledAt, run.startedAt, now, 'success', run.attempt,
      run.instanceId, nil)
    rcall('HSET', stateKey, 'lastStatus', 'success', 'failureCount', 0)
    return { 1, 0, -1 }
  end
  local policy = rcall('HMGET', stateKey, 'attempts', 'backoffMs')
  local retries = run.attempt < tonumber(policy[1])
  local recorded = status
  if status == 'failed' then
    recorded = retries and 'retry' or 'failed'
  end
  pushHistory(base, taskId, historyLength, run.scheduledAt, run.startedAt, now, recorded, run.attempt,
    run.instanceId, errorMessage)
  rcall('HSET', stateKey, 'lastStatus', recorded)
  -- Exponential backoff, its exponent bounded so that the delay stays a plain integer (at most ~12 days).
  local delay = tonumber(policy[2]) * 2 ^ math.min(run.attempt - 1, 30)
  local retryAt, disabled = settleUnsuccessful(base, run, now, now + math.min(delay, 2 ^ 30), status == 'failed',
    publishCommand)
  return { 1, disabled and 1 or 0, retryAt or -1 }
end

local results = {}
for i = 4, #ARGV do
  if (i - 4) % 4 == 0 then
    results[#results + 1] = finishOne(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
  end
end
return results
