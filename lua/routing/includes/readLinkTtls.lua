--[[
  Reads the PTTL of every link a uid's hash names. Scripts call it before their first write, so that a
  script aborted by a slot migration (see linkKeysOf) has written nothing.
  Returns { service = PTTL in ms }: -2 gone, -1 persistent, >= 0 temporary.
]]
--- @include "routing/includes/linkKeysOf"

local function readLinkTtls(hashKey)
  local services, linkKeys = linkKeysOf(hashKey)
  local ttls = {}
  for i, service in ipairs(services) do
    ttls[service] = rcall('PTTL', linkKeys[i])
  end
  return ttls
end
