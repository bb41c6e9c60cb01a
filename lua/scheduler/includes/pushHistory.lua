--[[
  Records one history entry (a TaskRun: an attempt, or a fire `skipped` or `missed`) at the head of the
  task's history, which keeps the newest historyLength entries. startedAt, finishedAt, instanceId and
  errorMessage may be nil.
]]
local function pushHistory(base, taskId, historyLength, scheduledAt, startedAt, finishedAt, status, attempt,
                           instanceId, errorMessage)
  local durationMs = cjson.null
  if startedAt and finishedAt then
    durationMs = math.max(finishedAt - startedAt, 0)
  end
  local entry = cjson.encode({
    taskId = taskId,
    scheduledAt = scheduledAt,
    startedAt = startedAt or cjson.null,
    finishedAt = finishedAt or cjson.null,
    durationMs = durationMs,
    status = status,
    attempt = attempt,
    instanceId = instanceId or cjson.null,
    error = errorMessage or cjson.null,
  })
  local historyKey = base .. ':history:' .. taskId
  rcall('LPUSH', historyKey, entry)
  rcall('LTRIM', historyKey, 0, historyLength - 1)
end
