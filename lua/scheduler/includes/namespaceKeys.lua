--[[
  The namespace's keys, every one declared in KEYS, so that while the namespace's cluster slot migrates Redis
  refuses a script (ASK, then TRYAGAIN) instead of running it over the keys moved so far. KEYS[1..9]: tasks,
  state, history, leases, runs, replicas, fence, declared, removed; then `<base>:due:<workflow>` and
  `<base>:pending:<workflow>` of each workflow the caller knows of. A script that needs a workflow whose keys the
  caller did not declare refuses before its first write (undeclaredWorkflowsReply), and the caller calls again
  with them. `base`, the namespace's prefix, names the change channel (not a key).
  Returns K: { base, tasks, state, history, leases, runs, replicas, fence, declared, removed, due = { [workflow] = key },
  pending = { [workflow] = key } }.
]]
local function namespaceKeys(keys)
  local base = string.sub(keys[1], 1, -7)
  local K = {
    base = base, tasks = keys[1], state = keys[2], history = keys[3], leases = keys[4], runs = keys[5],
    replicas = keys[6], fence = keys[7], declared = keys[8], removed = keys[9], due = {}, pending = {},
  }
  local duePrefix, pendingPrefix = base .. ':due:', base .. ':pending:'
  for i = 10, #keys do
    local key = keys[i]
    if string.sub(key, 1, #duePrefix) == duePrefix then
      K.due[string.sub(key, #duePrefix + 1)] = key
    elseif string.sub(key, 1, #pendingPrefix) == pendingPrefix then
      K.pending[string.sub(key, #pendingPrefix + 1)] = key
    end
  end
  return K
end

-- nil when the due and pending keys of every workflow of `workflows` were declared; else the error reply
-- `UNDECLARED_WORKFLOWS <JSON list>` naming those missing, for the script to return before any write.
local function undeclaredWorkflowsReply(K, workflows)
  local missing = {}
  for _, workflow in ipairs(workflows) do
    if workflow and (not K.due[workflow] or not K.pending[workflow]) then
      missing[#missing + 1] = workflow
    end
  end
  if #missing == 0 then
    return nil
  end
  return redis.error_reply('UNDECLARED_WORKFLOWS ' .. cjson.encode(missing))
end
