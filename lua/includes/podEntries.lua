--[[
  A pod's state as stored, encoded as one string: what the pod-writes hash keeps of what this library last
  wrote for the pod or last saw in a report of the pod. When a pod's state no longer matches it, another
  implementation wrote it since (a Java or Go pod reports its state with plain HSET and writes no liveness
  entry), so the pod's liveness entry, if any, is not its own last report any more: liveness comes only from a
  pod's own reports. The weight is not compared: a Java or Go gateway adds to it at each placement (SPEC), a
  write on the pod's behalf that must not make a silent pod look alive.
  Returns the encoded entry (a state that is not stored encodes as false).
]]
local function podEntries(statesKey, _, podId)
  return cjson.encode({ rcall('HGET', statesKey, podId) })
end
