--[[
  Writes one link: the link key (persistent when ttlSeconds is -1, else temporary)
  and its field in the uid's hash, then re-syncs the hash's TTL.
]]
--- @include "includes/syncUidHash"
local function writeLink(hashKey, linkKey, service, podId, ttlSeconds)
  if ttlSeconds > 0 then
    rcall('SET', linkKey, podId, 'EX', ttlSeconds)
  else
    rcall('SET', linkKey, podId)
  end
  rcall('HSET', hashKey, service, podId)
  syncUidHash(hashKey)
end
