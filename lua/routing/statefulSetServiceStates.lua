--[[
  Sets the states of several pods of one service at once (batchSetServiceState), and records each
  as a report of that pod in the liveness hash (unless written on the pods' behalf), all in one script.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod liveness    sf:{ns:state:svc}seen
    ARGV[1] '1': reports of the pods (liveness recorded); '0': written on their behalf (liveness untouched)
    ARGV[2..n] pairs: pod id (decimal), state, pod id, state, ...
  Output:
    the number of pods written
]]
local rcall = redis.call
--- @include "includes/redisTimeMs"

local reports = ARGV[1] == '1'
local now = reports and redisTimeMs()
local pods = 0
for i = 2, #ARGV do
  -- Even entries are pod ids, each followed by its state.
  if i % 2 == 0 then
    rcall('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    if reports then
      rcall('HSET', KEYS[2], ARGV[i], now)
    end
    pods = pods + 1
  end
end
return pods
