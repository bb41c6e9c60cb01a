--[[
  The next value of the namespace's counter (`<base>:fence`): fencing tokens, task incarnations and the
  sequence numbers that keep pending members unique. A counter that is absent (never used, or Redis lost the
  namespace's data) starts from Redis TIME in ms x 1000, so values keep increasing across a data loss as long
  as fewer than 1000 were taken per ms since the previous start and the Redis clock does not go back; the
  values stay below 2^53 (exact in a double and in JavaScript) until the year 2255.
  Returns the value as an integer string (Lua would write a number this large with an exponent).
]]
--- @include "scheduler/includes/nowMs"

local function nextCounterValue(K)
  local value = rcall('INCR', K.fence)
  -- 1: the counter was absent (INCR first, as an EXISTS on every call would cost a command per run).
  if value == 1 then
    value = nowMs() * 1000 + 1
    rcall('SET', K.fence, string.format('%.0f', value))
  end
  return string.format('%.0f', value)
end
