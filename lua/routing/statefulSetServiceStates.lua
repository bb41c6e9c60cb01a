--[[
  Sets the states of several pods of one service at once (batchSetServiceState), and records each
  as a report of that pod in the liveness hash, all in one script.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod liveness    sf:{ns:state:svc}seen
    ARGV[1..n] pairs: pod id (decimal), state, pod id, state, ...
  Output:
    the number of pods written
]]
local rcall = redis.call
--- @include "includes/redisTimeMs"

local now = redisTimeMs()
local pods = 0
for i = 1, #ARGV do
  -- Odd entries are pod ids, each followed by its state.
  if i % 2 == 1 then
    rcall('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    rcall('HSET', KEYS[2], ARGV[i], now)
    pods = pods + 1
  end
end
return pods
