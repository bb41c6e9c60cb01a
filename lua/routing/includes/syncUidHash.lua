--[[
  Keeps a uid's hash in step with its links, so that no key outlives its links: drops the fields whose
  link is gone, removes the hash's TTL while a persistent link exists, else gives it the TTL of the
  longest-living temporary link. A link at PTTL 0 still exists and expires within the millisecond: it
  is temporary, and the hash gets at least 1 ms, never no TTL at all.
  ttls: { service = PTTL in ms } of every link after the caller's own write (readLinkTtls, updated by
  the caller), so that this function reads no key and writes the hash only.
]]
local function syncUidHash(hashKey, ttls)
  local persistent, temporary = false, false
  local longestTtl = 1
  for service, ttl in pairs(ttls) do
    if ttl == -2 then
      rcall('HDEL', hashKey, service)
    elseif ttl == -1 then
      persistent = true
    else
      temporary = true
      if ttl > longestTtl then
        longestTtl = ttl
      end
    end
  end
  if persistent then
    rcall('PERSIST', hashKey)
  elseif temporary then
    rcall('PEXPIRE', hashKey, longestTtl)
  end
end
