--[[
  A pod's state and weight as stored, encoded as one string: what the pod-writes hash keeps of what this
  library last wrote for the pod or last saw in a report of the pod. When a pod's entries no longer
  match it, another implementation wrote them since (a Java or Go pod reports its state and weight with
  plain HSET and writes no liveness entry), so the pod's liveness entry, if any, is not its own last
  report any more: liveness comes only from a pod's own reports.
  Returns the encoded entries (a state or weight that is not stored encodes as false).
]]
local function podEntries(statesKey, weightsKey, podId)
  return cjson.encode({ rcall('HGET', statesKey, podId), rcall('HGET', weightsKey, podId) })
end
