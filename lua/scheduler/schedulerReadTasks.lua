--[[
  Reads tasks: the ones named, or every task of the namespace when none is named.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1..n] task ids (none: every task)
  Output:
    { task, ... } for the ids that exist, task = { id, definition JSON, state field/value list }
]]
local rcall = redis.call
--- @include "scheduler/includes/readTask"

local base = KEYS[1]
local taskIds = {}
for i = 1, #ARGV do
  taskIds[i] = ARGV[i]
end
if #taskIds == 0 then
  taskIds = rcall('HKEYS', base .. ':tasks')
end
local tasks = {}
for _, taskId in ipairs(taskIds) do
  local task = readTask(base, taskId)
  if task then
    tasks[#tasks + 1] = task
  end
end
return tasks
