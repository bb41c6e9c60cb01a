--[[
  Writes what is known of a service's pods: their state, their weight and when they last reported.
  Every report of a pod (state, weight, heartbeat) records the Redis TIME of the report in the
  liveness hash, in the same script.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen   (not touched by 'assign', which is not a report)
    ARGV[1] action:
      'state'     ARGV[2] pod id, ARGV[3] state    sets the pod's state
      'stateOnly' ARGV[2] pod id, ARGV[3] state    sets the pod's state on its behalf: not a report of the pod
      'weight'    ARGV[2] pod id, ARGV[3] weight   sets the pod's reported weight
      'heartbeat' ARGV[2] pod id                   records a report with nothing else to say
      'assign'    ARGV[2] pod id                   adds 1 to the weight of a pod that still has a state
                                                   (a user was just placed on it)
      'remove'    ARGV[2] pod id                   forgets the pod's state, weight and last report
      'removeIfSilent' ARGV[2] pod id, ARGV[3] ms  the same, only if the pod's last report is still the one
                                                   at ARGV[3] ms (it did not report again meanwhile)
      'markIfSilent' ARGV[2] pod id, ARGV[3] ms, ARGV[4] state: sets the pod's state (not a report), only
                                                   if its last report is still the one at ARGV[3] ms
  Output:
    1 if something was written, else 0
]]
local rcall = redis.call
--- @include "includes/redisTimeMs"
local action, podId = ARGV[1], ARGV[2]

if action == 'state' then
  rcall('HSET', KEYS[1], podId, ARGV[3])
  rcall('HSET', KEYS[3], podId, redisTimeMs())
elseif action == 'stateOnly' then
  rcall('HSET', KEYS[1], podId, ARGV[3])
elseif action == 'weight' then
  rcall('HSET', KEYS[2], podId, ARGV[3])
  rcall('HSET', KEYS[3], podId, redisTimeMs())
elseif action == 'heartbeat' then
  rcall('HSET', KEYS[3], podId, redisTimeMs())
elseif action == 'assign' then
  if rcall('HEXISTS', KEYS[1], podId) == 0 then
    return 0
  end
  rcall('HINCRBY', KEYS[2], podId, 1)
elseif action == 'markIfSilent' then
  if tonumber(rcall('HGET', KEYS[3], podId)) ~= tonumber(ARGV[3]) then
    return 0
  end
  rcall('HSET', KEYS[1], podId, ARGV[4])
elseif action == 'remove' or action == 'removeIfSilent' then
  if action == 'removeIfSilent' and tonumber(rcall('HGET', KEYS[3], podId)) ~= tonumber(ARGV[3]) then
    return 0
  end
  rcall('HDEL', KEYS[1], podId)
  rcall('HDEL', KEYS[2], podId)
  rcall('HDEL', KEYS[3], podId)
else
  return redis.error_reply('ERR statefulSetState: unknown action ' .. tostring(action))
end
return 1
