--[[
  Task states: `<base>:state` maps a task id to its state JSON (fields in lib/scheduler/store/scheduler-keys.ts).
  A script reads each state at most once (readState caches it, nil when absent), changes the table in place and
  marks it (saveState, or dropState to delete it); writeStates, the last call of every script that changes a
  state, writes each marked one once. Fencing tokens and incarnations are kept as strings: cjson writes numbers
  with 14 significant digits, and they have 16.
]]
local cachedStates = {}
local changedStates = {}

local function readState(K, taskId)
  local state = cachedStates[taskId]
  if state == nil then
    local json = rcall('HGET', K.state, taskId)
    state = json and cjson.decode(json) or false
    cachedStates[taskId] = state
  end
  return state or nil
end

local function saveState(taskId, state)
  cachedStates[taskId] = state
  changedStates[taskId] = true
end

local function dropState(taskId)
  cachedStates[taskId] = false
  changedStates[taskId] = true
end

local function writeStates(K)
  for taskId in pairs(changedStates) do
    local state = cachedStates[taskId]
    if state then
      rcall('HSET', K.state, taskId, cjson.encode(state))
    else
      rcall('HDEL', K.state, taskId)
    end
  end
  changedStates = {}
end

-- The state as a reply: its JSON, with this script's changes.
local function stateReply(K, taskId)
  local state = cachedStates[taskId]
  if state == nil then
    return rcall('HGET', K.state, taskId)
  end
  return state and cjson.encode(state) or nil
end
