--[[
  A task's runs: those holding a lease now (their records), and the newest history entries.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1] task id
    ARGV[2] most history entries
  Output:
    { running run records (JSON), history entries (TaskRun JSON, newest first) };
    an error reply `NOT_FOUND <id>` for an unknown id
]]
local rcall = redis.call
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/taskState"
--- @include "scheduler/includes/history"

local K = namespaceKeys(KEYS)
local taskId = ARGV[1]
if rcall('HEXISTS', K.tasks, taskId) == 0 then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local state = readState(K, taskId)
local incarnation = state and state.incarnation
local running = {}
local records = rcall('HVALS', K.runs)
for _, record in ipairs(records) do
  local run = cjson.decode(record)
  if run.taskId == taskId and run.incarnation == incarnation then
    running[#running + 1] = record
  end
end
return { running, readHistory(K, taskId, tonumber(ARGV[2])) }
