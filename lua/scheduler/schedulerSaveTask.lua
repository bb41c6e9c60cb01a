--[[
  Creates, updates or upserts (decorated tasks at startup) a task's definition and schedule.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] task id
    ARGV[2] mode: create (ALREADY_EXISTS if the id exists), update (NOT_FOUND if absent), upsertDecorated
            (an unchanged definition keeps its schedule and writes nothing; a changed one keeps `enabled`, the
            run-time state), createIfAbsent (an existing task is left as it is, `unchanged`)
    ARGV[3] definition JSON, every declared field but `enabled` (the state holds it), in a fixed field order
    ARGV[4] enabled: 1 or 0; for upsertDecorated only the initial state of a task not yet stored
    ARGV[5] next fire time (ms), '' for none; used only when the task ends up enabled
    ARGV[6] due score (next fire time + jitter offset, ms), '' for none
    ARGV[7] expected version (update only), '' for any
    ARGV[8] workflow
    ARGV[9] overlap policy: skip, bufferOne or allow
    ARGV[10] retry attempts (every try counts)
    ARGV[11] retry backoff (ms)
    ARGV[12] max consecutive failures before the schedule is disabled (>= 1, validated by the caller)
    ARGV[13] lease (ms) of the task's runs, 0 = the module's
    ARGV[14] publish command: PUBLISH, SPUBLISH or '' (the caller publishes)
  Output:
    { 'changed' | 'unchanged' | 'conflict', task }, task = { id, definition JSON, state field/value list };
    'conflict' (nothing written) when ARGV[7] is not the stored version; an error reply `NOT_FOUND <id>` or
    `ALREADY_EXISTS <id>` (nothing written)
]]
local rcall = redis.call
--- @include "scheduler/includes/nowMs"
--- @include "scheduler/includes/readTask"
--- @include "scheduler/includes/publishChange"
--- @include "scheduler/includes/pendingMember"

local base = KEYS[1]
local taskId, mode, definition, enabled = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local tasksKey = base .. ':tasks'
local stateKey = base .. ':state:' .. taskId
local existing = rcall('HGET', tasksKey, taskId)

if existing and mode == 'create' then
  return redis.error_reply('ALREADY_EXISTS ' .. taskId)
end
if existing and mode == 'createIfAbsent' then
  return { 'unchanged', readTask(base, taskId) }
end
if not existing and mode == 'update' then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local stored = rcall('HMGET', stateKey, 'version', 'enabled', 'workflow')
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
if existing then
  rcall('HINCRBY', stateKey, 'version', 1)
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
  local incarnation = rcall('INCR', base .. ':fence')
  rcall('HSET', stateKey, 'incarnation', incarnation, 'version', 1, 'createdAt', now, 'runCount', 0,
    'failureCount', 0, 'running', 0)
end
rcall('HSET', tasksKey, taskId, definition)
rcall('HSET', stateKey, 'updatedAt', now, 'enabled', enabled, 'workflow', workflow, 'overlap', ARGV[9],
  'attempts', ARGV[10], 'backoffMs', ARGV[11], 'maxFailures', ARGV[12], 'leaseMs', ARGV[13])
local dueKey = base .. ':due:' .. workflow
if enabled == '1' and ARGV[5] ~= '' then
  rcall('HSET', stateKey, 'nextRunAt', ARGV[5])
  rcall('ZADD', dueKey, ARGV[6] ~= '' and ARGV[6] or ARGV[5], taskId)
else
  rcall('HDEL', stateKey, 'nextRunAt')
  rcall('ZREM', dueKey, taskId)
end
publishChange(base, ARGV[14], 'saved', taskId)
return { 'changed', readTask(base, taskId) }
