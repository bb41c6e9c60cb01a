--[[
  Starts one attempt of a task: a fencing token from the namespace's counter (so it is strictly
  increasing per task across attempts, fires, a task removed and added again, and a loss of Redis's data:
  see nextCounterValue), a lease until now + leaseMs (the task's own, else defaultLeaseMs), the run's
  record, and the task's counters.
  Returns the claimed run: { id, fence, scheduledAt, attempt, startedAt, leaseMs, kind, task }.
]]
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/nextCounterValue"

local function startRun(base, taskId, scheduledAt, attempt, kind, instanceId, defaultLeaseMs, now)
  local stateKey = base .. ':state:' .. taskId
  local state = rcall('HMGET', stateKey, 'leaseMs', 'workflow', 'incarnation')
  local leaseMs = tonumber(state[1] or '0')
  if leaseMs <= 0 then
    leaseMs = defaultLeaseMs
  end
  local fence = nextCounterValue(base)
  local leaseMember = taskId .. '|' .. fence
  rcall('ZADD', base .. ':leases', now + leaseMs, leaseMember)
  rcall('HSET', base .. ':runs', leaseMember, cjson.encode({
    taskId = taskId,
    scheduledAt = scheduledAt,
    startedAt = now,
    attempt = attempt,
    instanceId = instanceId,
    workflow = state[2],
    incarnation = state[3],
    kind = kind,
  }))
  rcall('HSET', stateKey, 'fence', fence, 'lastRunAt', now, 'lastStatus', 'running')
  rcall('HINCRBY', stateKey, 'running', 1)
  rcall('HINCRBY', stateKey, 'runCount', 1)
  return { taskId, tonumber(fence), scheduledAt, attempt, now, leaseMs, kind, readTask(base, taskId) }
end
