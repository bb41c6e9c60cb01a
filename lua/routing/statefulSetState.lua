--[[
  Writes what is known of a service's pods: their state and their weight.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    ARGV[1] action:
      'state'  ARGV[2] pod id, ARGV[3] state    sets the pod's state
      'weight' ARGV[2] pod id, ARGV[3] weight   sets the pod's reported weight
      'assign' ARGV[2] pod id                   adds 1 to the weight of a pod that still has a state
                                                (a user was just placed on it)
      'remove' ARGV[2] pod id                   forgets the pod's state and weight
  Output:
    1 if something was written, else 0
]]
local rcall = redis.call
local action, podId = ARGV[1], ARGV[2]

if action == 'state' then
  rcall('HSET', KEYS[1], podId, ARGV[3])
elseif action == 'weight' then
  rcall('HSET', KEYS[2], podId, ARGV[3])
elseif action == 'assign' then
  if rcall('HEXISTS', KEYS[1], podId) == 0 then
    return 0
  end
  rcall('HINCRBY', KEYS[2], podId, 1)
elseif action == 'remove' then
  rcall('HDEL', KEYS[1], podId)
  rcall('HDEL', KEYS[2], podId)
else
  return redis.error_reply('ERR statefulSetState: unknown action ' .. tostring(action))
end
return 1
