--[[
  Creates, updates or upserts (decorated tasks at startup) a task's definition and schedule. A changed
  definition of an enabled task that keeps its cron and time zone keeps its next fire (an overdue one still
  runs or is recorded missed); a new cron or time zone takes the next fire given, computed once from now. Any
  change cancels the task's run claimed ahead whose start was not confirmed (nothing of the old definition
  starts once this returns); when the schedule is kept, that fire is due again, to run with the new definition.
  A run confirmed to start a moment from now is in progress: the caller waits for its start before returning.
  Enabling a disabled task (update) resets failureCount, as schedulerSetEnabled does. The ids of decorated
  tasks are kept in `<base>:declared`, so that a reconnect restores only those Redis lost with the data.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] task id
    ARGV[2] mode: create (ALREADY_EXISTS if the id exists), update (NOT_FOUND if absent), upsertDecorated
            (an unchanged definition keeps its schedule and writes nothing; a changed one keeps `enabled`, the
            run-time state), createIfAbsent (after a reconnect: creates a decorated task only when Redis lost it
            with the namespace's data, i.e. its id is not in `<base>:declared`; else `unchanged`, nothing written)
    ARGV[3] definition JSON, every declared field but `enabled` (the state holds it), in a fixed field order
    ARGV[4] enabled: 1 or 0; for upsertDecorated only the initial state of a task not yet stored
    ARGV[5] next fire time (ms), '' for none; used only when the task ends up enabled and its stored next
            fire is not kept
    ARGV[6] due score (next fire time + jitter offset, ms), '' for none; for a kept next fire, used when ARGV[5]
            is that fire (the caller read it), else the stored due score stays
    ARGV[7] expected version (update only), '' for any
    ARGV[8] workflow
    ARGV[9] overlap policy: skip, bufferOne or allow
    ARGV[10] retry attempts (every try counts)
    ARGV[11] retry backoff (ms)
    ARGV[12] max consecutive failures before the schedule is disabled (>= 1, validated by the caller)
    ARGV[13] lease (ms) of the task's runs, 0 = the module's
    ARGV[14] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    { 'changed' | 'unchanged' | 'conflict', task, ms to wait before returning (changed only) },
    task = { id, definition JSON, state JSON }
    (createIfAbsent: { 'unchanged' } without the task);
    'conflict' (nothing written) when ARGV[7] is not the stored version; an error reply `NOT_FOUND <id>`,
    `ALREADY_EXISTS <id>` or `UNDECLARED_WORKFLOWS <JSON list>` (nothing written)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/history"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/runLifecycle"

local K = namespaceKeys(KEYS)
local taskId, mode, definition, enabled = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local workflow = ARGV[8]
local existing = rcall('HGET', K.tasks, taskId)

if existing and mode == 'create' then
  return redis.error_reply('ALREADY_EXISTS ' .. taskId)
end
if not existing and mode == 'update' then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local state = existing and readState(K, taskId)
if not state then
  existing = nil
end
local undeclared = undeclaredWorkflowsReply(K, { workflow, state and state.workflow })
if undeclared then
  return undeclared
end
if mode == 'createIfAbsent' then
  -- Present, or removed at run time (its id stays declared): left alone until the next deploy's upsert.
  if rcall('SADD', K.declared, taskId) == 0 or existing then
    return { 'unchanged' }
  end
elseif mode == 'upsertDecorated' then
  rcall('SADD', K.declared, taskId)
end
if existing and ARGV[7] ~= '' and tostring(state.version) ~= ARGV[7] then
  return { 'conflict', readTask(K, taskId) }
end
if existing and mode == 'upsertDecorated' then
  -- `enabled` is run-time state (disableTask, disabled after failures): a deploy neither compares nor resets it.
  if existing == definition then
    return { 'unchanged', readTask(K, taskId) }
  end
  enabled = state.enabled
end

local now = nowMs()
local nextRunAt = tonumber(ARGV[5])
local dueScore = tonumber(ARGV[6]) or nextRunAt
local waitMs = 0
if existing then
  waitMs = confirmedStartWaitMs(state, now)
  local keepsSchedule = false
  if state.enabled and enabled then
    -- A stored definition that cannot be read (written by another version) counts as another schedule.
    local readable, before = pcall(cjson.decode, existing)
    local after = cjson.decode(definition)
    keepsSchedule = readable and before.cron == after.cron and before.timeZone == after.timeZone
  end
  local ahead = cancelAheadRun(K, taskId, state, now)
  if keepsSchedule and ahead then
    -- The cancelled fire is due again (lastFireAt just before it, so that it runs once more).
    if nextRunAt ~= ahead.scheduledAt then
      dueScore = ahead.startAt
    end
    nextRunAt = ahead.scheduledAt
    state.lastFireAt = ahead.scheduledAt - 1
  elseif keepsSchedule and state.nextRunAt then
    -- The schedule did not change: its next fire stays, whatever the caller computed from now.
    if nextRunAt ~= state.nextRunAt then
      dueScore = tonumber(rcall('ZSCORE', K.due[state.workflow], taskId)) or state.nextRunAt
    end
    nextRunAt = state.nextRunAt
  end
  state.version = (state.version or 0) + 1
  if not state.enabled and enabled then
    state.failureCount = 0
  end
  local previousWorkflow = state.workflow
  if previousWorkflow ~= workflow then
    -- Another workflow: its due entry goes, and its waiting runs move to the new workflow's index.
    rcall('ZREM', K.due[previousWorkflow], taskId)
    local previousPendingKey = K.pending[previousWorkflow]
    local pending = rcall('ZRANGE', previousPendingKey, 0, -1, 'WITHSCORES')
    for i = 1, #pending, 2 do
      if parsePendingMember(pending[i]) == taskId then
        rcall('ZREM', previousPendingKey, pending[i])
        rcall('ZADD', K.pending[workflow], pending[i + 1], pending[i])
      end
    end
  end
else
  -- A new task (or one removed and added again): fresh state and history, a new incarnation.
  deleteHistory(K, taskId)
  state = {
    incarnation = nextCounterValue(K), version = 1, createdAt = now, runCount = 0, failureCount = 0, running = 0,
  }
end
rcall('HSET', K.tasks, taskId, definition)
state.updatedAt = now
state.enabled = enabled
state.workflow = workflow
state.overlap = ARGV[9]
state.attempts = tonumber(ARGV[10])
state.backoffMs = tonumber(ARGV[11])
state.maxFailures = tonumber(ARGV[12])
state.leaseMs = tonumber(ARGV[13])
if enabled and nextRunAt then
  state.nextRunAt = nextRunAt
  rcall('ZADD', K.due[workflow], dueScore, taskId)
else
  state.nextRunAt = nil
  rcall('ZREM', K.due[workflow], taskId)
end
saveState(taskId, state)
publishChange(K, ARGV[14], 'saved', taskId)
writeStates(K)
return { 'changed', readTask(K, taskId), waitMs }
