--[[
  Task states: `<base>:state` maps a task id to its state JSON (fields in lib/scheduler/store/scheduler-keys.ts).
  A script reads each state at most once (readState caches it, nil when absent), changes the table in place and
  marks it (saveState, or dropState to delete it); writeStates, the last call of every script that changes a
  state, writes the marked ones, in one HSET (and one HDEL) per 500. Fencing tokens and incarnations are kept as
  strings: cjson writes numbers with 14 significant digits, and they have 16.
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

-- Fields per HSET or HDEL of writeStates: one command for the hundreds of states a batch changes.
local STATES_PER_WRITE = 500

local function writeStates(K)
  local sets, deletes = {}, {}
  for taskId in pairs(changedStates) do
    local state = cachedStates[taskId]
    if state then
      sets[#sets + 1] = taskId
      sets[#sets + 1] = cjson.encode(state)
    else
      deletes[#deletes + 1] = taskId
    end
  end
  for i = 1, #sets, 2 * STATES_PER_WRITE do
    rcall('HSET', K.state, unpack(sets, i, math.min(i + 2 * STATES_PER_WRITE - 1, #sets)))
  end
  for i = 1, #deletes, STATES_PER_WRITE do
    rcall('HDEL', K.state, unpack(deletes, i, math.min(i + STATES_PER_WRITE - 1, #deletes)))
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
