--[[
  Creates, updates or upserts (decorated tasks at startup) a task's definition and schedule. A changed
  definition of an enabled task that keeps its cron and time zone keeps its next fire (an overdue one still
  runs or is recorded missed); a new cron or time zone takes the next fire given, computed once from now.
  Enabling a disabled task (update) resets failureCount, as schedulerSetEnabled does. The ids of decorated
  tasks are kept in `<base>:declared`, so that a reconnect restores only those Redis lost with the data.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
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
    { 'changed' | 'unchanged' | 'conflict', task }, task = { id, definition JSON, state field/value list }
    (createIfAbsent: { 'unchanged' } without the task);
    'conflict' (nothing written) when ARGV[7] is not the stored version; an error reply `NOT_FOUND <id>` or
    `ALREADY_EXISTS <id>` (nothing written)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/pendingMember"
--- @include "scheduler/includes/nextCounterValue"

local base = KEYS[1]
local taskId, mode, definition, enabled = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local tasksKey = base .. ':tasks'
local stateKey = base .. ':state:' .. taskId
local existing = rcall('HGET', tasksKey, taskId)

if existing and mode == 'create' then
  return redis.error_reply('ALREADY_EXISTS ' .. taskId)
end
local declaredKey = base .. ':declared'
if mode == 'createIfAbsent' then
  -- Present, or removed at run time (its id stays declared): left alone until the next deploy's upsert.
  if rcall('SADD', declaredKey, taskId) == 0 or existing then
    return { 'unchanged' }
  end
elseif mode == 'upsertDecorated' then
  rcall('SADD', declaredKey, taskId)
end
if not existing and mode == 'update' then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local stored = rcall('HMGET', stateKey, 'version', 'enabled', 'workflow', 'nextRunAt')
if existing and ARGV[7] ~= '' and stored[1] ~= ARGV[7] then
  return { 'conflict', readTask(base, taskId) }
end
if existing and mode == 'upsertDecorated' then
  -- `enabled` is run-time state (disableTask, disabled after failures): a deploy neither compares nor resets it.
  if existing == definition then
    return { 'unchanged', readTask(base, taskId) }
  end
  enabled = stored[2] or enabled
end

local now = nowMs()
local workflow = ARGV[8]
local nextRunAt = ARGV[5]
local dueScore = ARGV[6] ~= '' and ARGV[6] or ARGV[5]
if existing and stored[2] == '1' and enabled == '1' and stored[4] then
  local before, after = cjson.decode(existing), cjson.decode(definition)
  if before.cron == after.cron and before.timeZone == after.timeZone then
    -- The schedule did not change: its next fire stays, whatever the caller computed from now.
    if ARGV[5] ~= stored[4] then
      dueScore = rcall('ZSCORE', base .. ':due:' .. stored[3], taskId) or stored[4]
    end
    nextRunAt = stored[4]
  end
end
if existing then
  rcall('HINCRBY', stateKey, 'version', 1)
  if stored[2] ~= '1' and enabled == '1' then
    rcall('HSET', stateKey, 'failureCount', 0)
  end
  local previousWorkflow = stored[3]
  if previousWorkflow and previousWorkflow ~= workflow then
    -- Another workflow: its due entry goes, and its waiting runs move to the new workflow's index.
    rcall('ZREM', base .. ':due:' .. previousWorkflow, taskId)
    local previousPendingKey = base .. ':pending:' .. previousWorkflow
    local pending = rcall('ZRANGE', previousPendingKey, 0, -1, 'WITHSCORES')
    for i = 1, #pending, 2 do
      if parsePendingMember(pending[i]) == taskId then
        rcall('ZREM', previousPendingKey, pending[i])
        rcall('ZADD', base .. ':pending:' .. workflow, pending[i + 1], pending[i])
      end
    end
  end
else
  -- A new task (or one removed and added again): fresh state and history, a new incarnation.
  rcall('DEL', stateKey)
  rcall('DEL', base .. ':history:' .. taskId)
  local incarnation = nextCounterValue(base)
  rcall('HSET', stateKey, 'incarnation', incarnation, 'version', 1, 'createdAt', now, 'runCount', 0,
    'failureCount', 0, 'running', 0)
end
rcall('HSET', tasksKey, taskId, definition)
rcall('HSET', stateKey, 'updatedAt', now, 'enabled', enabled, 'workflow', workflow, 'overlap', ARGV[9],
  'attempts', ARGV[10], 'backoffMs', ARGV[11], 'maxFailures', ARGV[12], 'leaseMs', ARGV[13])
local dueKey = base .. ':due:' .. workflow
if enabled == '1' and nextRunAt ~= '' then
  rcall('HSET', stateKey, 'nextRunAt', nextRunAt)
  rcall('ZADD', dueKey, dueScore, taskId)
else
  rcall('HDEL', stateKey, 'nextRunAt')
  rcall('ZREM', dueKey, taskId)
end
publishChange(base, ARGV[14], 'saved', taskId)
return { 'changed', readTask(base, taskId) }
