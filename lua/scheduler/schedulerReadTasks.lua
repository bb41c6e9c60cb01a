--[[
  Reads tasks: the ones named, or every task of the namespace when none is named.
  Input:
    KEYS[1..9+2n] the namespace's keys  tasks, state, history, leases, runs, replicas, fence, declared, removed, then the due
               and pending keys of each workflow known (includes/namespaceKeys)
    ARGV[1..n] task ids (none: every task)
  Output:
    { task, ... } for the ids that exist, task = { id, definition JSON, state JSON }
]]
local rcall = redis.call
--- @include "scheduler/includes/namespaceKeys"
--- @include "scheduler/includes/readTask"

local K = namespaceKeys(KEYS)
local taskIds = {}
for i = 1, #ARGV do
  taskIds[i] = ARGV[i]
end
if #taskIds == 0 then
  taskIds = rcall('HKEYS', K.tasks)
end
local tasks = {}
for _, taskId in ipairs(taskIds) do
  local task = readTask(K, taskId)
  if task then
    tasks[#tasks + 1] = task
  end
end
return tasks
