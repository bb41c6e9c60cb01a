--[[
  The run history of every task of the namespace, in one sorted set `<base>:history` (all scores 0): each entry
  `<task id>}<sequence, 12 digits>}<TaskRun JSON>`, so that a task's entries are the lexicographic range
  [`<id>}`, `<id>~`) (an id holds no `}`), oldest first. The sequence is the task's own (state.historySeq): a
  push trims the task's entries to the newest historyLength with one range removal. An error message is kept to
  its first MAX_ERROR_BYTES bytes, an error stack (`errorStack`, only in entries that have one) to its first
  MAX_STACK_BYTES (the replicas cap both before, noting the original length).
]]
--- @include "scheduler/includes/taskState"

local MAX_ERROR_BYTES = 4096
local MAX_STACK_BYTES = 8192

local function historySequence(sequence)
  return string.format('%012d', sequence)
end

local function historyRange(taskId)
  return '[' .. taskId .. '}', '(' .. taskId .. '~'
end

-- Records one entry (a TaskRun: an attempt, or a fire `skipped` or `missed`) as the task's newest. startedAt,
-- finishedAt, instanceId, errorMessage and errorStack may be nil. Changes and saves `state` (its history sequence).
local function pushHistory(K, taskId, state, historyLength, scheduledAt, startedAt, finishedAt, status, attempt,
                           instanceId, errorMessage, errorStack)
  local durationMs = cjson.null
  if startedAt and finishedAt then
    durationMs = math.max(finishedAt - startedAt, 0)
  end
  if errorMessage and #errorMessage > MAX_ERROR_BYTES then
    errorMessage = string.sub(errorMessage, 1, MAX_ERROR_BYTES)
  end
  if errorStack and #errorStack > MAX_STACK_BYTES then
    errorStack = string.sub(errorStack, 1, MAX_STACK_BYTES)
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
    errorStack = errorStack,
  })
  local sequence = (state.historySeq or 0) + 1
  state.historySeq = sequence
  saveState(taskId, state)
  rcall('ZADD', K.history, 0, taskId .. '}' .. historySequence(sequence) .. '}' .. entry)
  if sequence > historyLength then
    rcall('ZREMRANGEBYLEX', K.history, '[' .. taskId .. '}',
      '(' .. taskId .. '}' .. historySequence(sequence - historyLength + 1))
  end
end

local function deleteHistory(K, taskId)
  local first, last = historyRange(taskId)
  rcall('ZREMRANGEBYLEX', K.history, first, last)
end

-- The task's newest `limit` entries, newest first (TaskRun JSON).
local function readHistory(K, taskId, limit)
  local first, last = historyRange(taskId)
  local members = rcall('ZREVRANGEBYLEX', K.history, last, first, 'LIMIT', 0, limit)
  local prefixLength = #taskId + 14
  for i = 1, #members do
    members[i] = string.sub(members[i], prefixLength + 1)
  end
  return members
end
