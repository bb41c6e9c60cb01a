--[[
  Disables a task's schedule: no next fire, out of its workflow's due index; a definition change (version + 1).
  Pending entries (retries, a buffered or manual run) stay: `enabled` governs the schedule only.
]]
local function unscheduleTask(base, taskId, workflow, now)
  local stateKey = base .. ':state:' .. taskId
  rcall('HSET', stateKey, 'enabled', '0', 'updatedAt', now)
  rcall('HINCRBY', stateKey, 'version', 1)
  rcall('HDEL', stateKey, 'nextRunAt')
  rcall('ZREM', base .. ':due:' .. workflow, taskId)
end
