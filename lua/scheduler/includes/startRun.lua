--[[
  Starts one attempt of a task: a fencing token from the namespace's counter (so it is strictly
  increasing per task across attempts, fires, a task removed and added again, and a loss of Redis's data:
  see nextCounterValue), a lease until startAt + leaseMs (the task's own, else defaultLeaseMs), the run's
  record, and the task's counters. startAt is Redis now, or the due time of a fire claimed ahead (the
  replica starts its handler then: `aheadStartAt` in the state tells the pending runs of the task to wait).
  taskState: the task's { leaseMs, workflow, incarnation } state fields, as the caller read them.
  Returns the claimed run: { id, fence, scheduledAt, attempt, startedAt, leaseMs, kind, task }, task being
  the task's reply when withTask, else false.
]]
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/nextCounterValue"

local function startRun(base, taskId, scheduledAt, attempt, kind, instanceId, defaultLeaseMs, startAt, ahead,
                        withTask, state)
  local stateKey = base .. ':state:' .. taskId
  local leaseMs = tonumber(state[1] or '0')
  if leaseMs <= 0 then
    leaseMs = defaultLeaseMs
  end
  local fence = nextCounterValue(base)
  local leaseMember = taskId .. '|' .. fence
  rcall('ZADD', base .. ':leases', startAt + leaseMs, leaseMember)
  rcall('HSET', base .. ':runs', leaseMember, cjson.encode({
    taskId = taskId,
    scheduledAt = scheduledAt,
    startedAt = startAt,
    attempt = attempt,
    instanceId = instanceId,
    workflow = state[2],
    incarnation = state[3],
    kind = kind,
  }))
  if ahead then
    rcall('HSET', stateKey, 'fence', fence, 'lastRunAt', startAt, 'lastStatus', 'running', 'aheadStartAt', startAt)
  else
    rcall('HSET', stateKey, 'fence', fence, 'lastRunAt', startAt, 'lastStatus', 'running')
  end
  rcall('HINCRBY', stateKey, 'running', 1)
  rcall('HINCRBY', stateKey, 'runCount', 1)
  return { taskId, tonumber(fence), scheduledAt, attempt, startAt, leaseMs, kind, withTask and readTask(base, taskId) }
end
