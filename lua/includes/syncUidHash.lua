--[[
  Keeps a uid's hash in step with its link keys, so that no key outlives its links:
  drops fields whose link key is gone, removes the TTL while a persistent link exists,
  else sets the TTL to that of the longest-living temporary link.
  The link keys are derived as hashKey .. serviceName, inside the hash tag's slot.
]]
local function syncUidHash(hashKey)
  local services = rcall('HKEYS', hashKey)
  local persistent = false
  local longestTtl = 0
  for _, service in ipairs(services) do
    local ttl = rcall('PTTL', hashKey .. service)
    if ttl == -2 then
      rcall('HDEL', hashKey, service)
    elseif ttl == -1 then
      persistent = true
    elseif ttl > longestTtl then
      longestTtl = ttl
    end
  end
  if persistent then
    rcall('PERSIST', hashKey)
  elseif longestTtl > 0 then
    rcall('PEXPIRE', hashKey, longestTtl)
  end
end
