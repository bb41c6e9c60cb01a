--[[
  Removes one link now (lingerSeconds <= 0), or turns it into a temporary link that
  lives lingerSeconds more, then re-syncs the uid's hash.
]]
--- @include "includes/syncUidHash"
local function removeLink(hashKey, linkKey, service, lingerSeconds)
  if lingerSeconds > 0 then
    rcall('EXPIRE', linkKey, lingerSeconds)
  else
    rcall('DEL', linkKey)
    rcall('HDEL', hashKey, service)
  end
  syncUidHash(hashKey)
end
