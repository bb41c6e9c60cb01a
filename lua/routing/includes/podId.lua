--[[
  The one rule for a stored pod id, the same as lib/replies/reply-parsers.ts applies to what the client
  reads itself: only a canonical decimal integer in 0 .. 2^31-1 ("0", "7", "2147483647") is a pod id.
  Anything else ("01", "", " 1", "1.0", "-1", "2147483648") is a corrupt entry, left by a manual fix or
  another implementation: it counts as no link, writes overwrite it, and no compare matches it.
  Returns the pod id as a number, or nil for no value or a corrupt one.
]]
local function canonicalPodId(value)
  if type(value) ~= 'string' or #value == 0 or #value > 10 then
    return nil
  end
  if value ~= '0' and not string.match(value, '^[1-9]%d*$') then
    return nil
  end
  local podId = tonumber(value)
  if podId > 2147483647 then
    return nil
  end
  return podId
end
