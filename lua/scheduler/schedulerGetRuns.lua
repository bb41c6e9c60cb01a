--[[
  A task's runs: those holding a lease now (their records), and the newest history entries.
  Input:
    KEYS[1] namespace base      <prefix>:{<ns>:sched}
    ARGV[1] task id
    ARGV[2] most history entries
  Output:
    { running run records (JSON), history entries (TaskRun JSON, newest first) };
    an error reply `NOT_FOUND <id>` for an unknown id
]]
local rcall = redis.call

local base = KEYS[1]
local taskId = ARGV[1]
if rcall('HEXISTS', base .. ':tasks', taskId) == 0 then
  return redis.error_reply('NOT_FOUND ' .. taskId)
end
local incarnation = rcall('HGET', base .. ':state:' .. taskId, 'incarnation')
local running = {}
local records = rcall('HVALS', base .. ':runs')
for _, record in ipairs(records) do
  local run = cjson.decode(record)
  if run.taskId == taskId and run.incarnation == incarnation then
    running[#running + 1] = record
  end
end
return { running, rcall('LRANGE', base .. ':history:' .. taskId, 0, tonumber(ARGV[2]) - 1) }
