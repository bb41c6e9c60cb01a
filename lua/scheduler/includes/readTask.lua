--[[
  A task as the store replies it: { id, definition JSON, state JSON (with this script's changes) }, or nil when
  the id is unknown.
]]
--- @include "scheduler/includes/taskState"

local function readTask(K, taskId)
  local definition = rcall('HGET', K.tasks, taskId)
  if not definition then
    return nil
  end
  return { taskId, definition, stateReply(K, taskId) }
end
