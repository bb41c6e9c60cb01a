--[[
  Reads the state of every pod of a service.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
  Output:
    flat list { pod id, state, pod id, state, ... }
]]
return redis.call('HGETALL', KEYS[1])
