--[[
  Removes one link now (lingerSeconds <= 0), or turns it into a temporary link that lives lingerSeconds
  more, then re-syncs the uid's hash. Every key is read before the first write.
]]
--- @include "routing/includes/readLinkTtls"
--- @include "routing/includes/syncUidHash"

local function removeLink(hashKey, linkKey, service, lingerSeconds)
  local ttls = readLinkTtls(hashKey)
  if lingerSeconds > 0 then
    rcall('EXPIRE', linkKey, lingerSeconds)
    ttls[service] = lingerSeconds * 1000
  else
    rcall('DEL', linkKey)
    ttls[service] = -2
  end
  syncUidHash(hashKey, ttls)
end
