--[[
  Writes one link: the link key (persistent when ttlSeconds is -1, else temporary) and its field in the
  uid's hash, then re-syncs the hash's TTL. Every key is read before the first write.
]]
--- @include "routing/includes/readLinkTtls"
--- @include "routing/includes/syncUidHash"

local function writeLink(hashKey, linkKey, service, podId, ttlSeconds)
  local ttls = readLinkTtls(hashKey)
  if ttlSeconds > 0 then
    rcall('SET', linkKey, podId, 'EX', ttlSeconds)
    ttls[service] = ttlSeconds * 1000
  else
    rcall('SET', linkKey, podId)
    ttls[service] = -1
  end
  rcall('HSET', hashKey, service, podId)
  syncUidHash(hashKey, ttls)
end
