--[[
  Confirms the start of runs claimed ahead, atomically, from ARGV[2] ms before their start time: a run starts only
  while its replica still holds its lease and its task is still the one it was claimed for (present, same
  incarnation, same definition version, enabled for a scheduled fire); a replica whose clock runs fast and asks
  earlier is told how long to wait. A confirmed run is started in Redis at its start time (or now, if that has
  passed): its lease runs from then, its start is recorded then, and its start window opens (ARGV[3] ms: its
  handler is called within it, or Redis is asked again; a change of its task waits for its end, so that once a
  change has returned no handler of the old definition starts). Confirming a little ahead keeps the
  confirmations' round trip and Redis's work out of the start instant, for the hundreds of runs due at a whole
  second. A run whose task changed without its claim being cancelled (every change cancels it, so this is a
  safety net) is ended here, unstarted; one whose task already started a run with a higher token (its replica
  paused past its time) is given back; a lease that expired or is gone is left to the reaper.
  A run started already (claimed when due, or confirmed) is asked about again when its handler could not be called
  within its start window (no free slot, a paused replica, a claim's reply that came late): its lease and its task
  are checked as for a confirmation, and a new start window opens from now; a run whose task changed meanwhile is
  given back (nothing of it ran: the fire is due again for the current definition, dropped if disabled or
  removed).
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] instance id of the replica that claimed them
    ARGV[2] confirmation lead (ms): how long before its start time a run claimed ahead may be confirmed
    ARGV[3] start window (ms)
    ARGV[4..n] per run, three arguments: task id, fencing token, lease (ms) from its start
  Output:
    { now, { 1 started / 0 not / -n not yet: ask again in n ms, ... } } in the order of the runs; an error reply
    `UNDECLARED_WORKFLOWS <JSON list>` (nothing written) when a run's task's workflow keys were not declared
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/runLifecycle"

local K = namespaceKeys(KEYS)
local instanceId, leadMs, startWindowMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = nowMs()

local leaseMembers, leases = {}, {}
for i = 4, #ARGV, 3 do
  leaseMembers[#leaseMembers + 1] = ARGV[i] .. '|' .. ARGV[i + 1]
  leases[#leases + 1] = tonumber(ARGV[i + 2])
end
local runs, touched = readRuns(K, leaseMembers, instanceId)
local undeclared = undeclaredWorkflowsReply(K, touched)
if undeclared then
  return undeclared
end

local started = {}
for i, run in ipairs(runs) do
  local leaseMember, leaseMs = leaseMembers[i], leases[i]
  local expiry = run and tonumber(rcall('ZSCORE', K.leases, leaseMember))
  local state = run and runTaskState(K, run)
  local starts = 0
  if expiry and expiry > now and state and laterRunStarted(state, run.fence) then
    -- Its replica paused past its time (or the run waited for a slot past its start window) while a later run of
    -- the task started: it would start out of token order. Nothing of it ran: given back (the same attempt due
    -- again, with a new token).
    giveBackRun(K, leaseMember, run, now)
  elseif expiry and expiry > now then
    -- A run claimed ahead is confirmed, and a run started already whose start window passed is asked about again,
    -- if its task is still the one it was claimed for.
    local current = state and state.version == run.version and (run.kind ~= 'scheduled' or state.enabled)
    if current and run.ahead and now < run.startedAt - leadMs then
      starts = now - (run.startedAt - leadMs)
    elseif current and not run.ahead then
      rcall('ZADD', K.leases, 'XX', math.max(now, run.startedAt) + leaseMs, leaseMember)
      openStartWindow(state, now, startWindowMs)
      saveState(run.taskId, state)
      starts = 1
    elseif not run.ahead then
      -- Started, its handler not called yet, and its task changed since: nothing of it ran, the fire is given back.
      giveBackRun(K, leaseMember, run, now)
    elseif current then
      local startAt = math.max(now, run.startedAt)
      rcall('ZADD', K.leases, 'XX', startAt + leaseMs, leaseMember)
      run.startedAt = startAt
      run.ahead = false
      rcall('HSET', K.runs, leaseMember, cjson.encode(run))
      state.lastRunAt = startAt
      noteStarted(state, run.fence)
      if state.ahead and state.ahead.fence == run.fence then
        state.ahead = nil
      end
      -- Until its time, a pending run of the task (a higher token) waits for it (schedulerClaim).
      state.startsAt = startAt
      openStartWindow(state, startAt, startWindowMs)
      saveState(run.taskId, state)
      starts = 1
    else
      local ended = endRun(K, leaseMember, run)
      if ended then
        ended.lastStatus = 'cancelled'
        releaseBuffered(K, run.taskId, ended, now)
      end
    end
  end
  started[#started + 1] = starts
end
writeStates(K)
return { now, started }
