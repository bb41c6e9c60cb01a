--[[
  Lists every live link of a uid with its remaining time to live, as statefulGetLinkService does
  (the hash names the services, each link key is the authority) plus the PTTL of each link.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
  Output:
    flat list { service, stored value, PTTL in ms (-1 persistent), ... } (the client checks each is a pod id)
]]
local rcall = redis.call
--- @include "routing/includes/linkKeysOf"

local links = {}
local services, linkKeys = linkKeysOf(KEYS[1])
for i, service in ipairs(services) do
  local podId = rcall('GET', linkKeys[i])
  if podId then
    links[#links + 1] = service
    links[#links + 1] = podId
    links[#links + 1] = rcall('PTTL', linkKeys[i])
  end
end
return links
