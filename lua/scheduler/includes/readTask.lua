--[[
  A task as the store replies it: { id, definition JSON, state hash as a flat field/value list }, or nil
  when the id is unknown.
]]
local function readTask(base, taskId)
  local definition = rcall('HGET', base .. ':tasks', taskId)
  if not definition then
    return nil
  end
  return { taskId, definition, rcall('HGETALL', base .. ':state:' .. taskId) }
end
