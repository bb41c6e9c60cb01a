--[[
  Lists every live link of a uid. The hash names the services; each link key is the
  authority, so a field whose link has expired is left out. While the uid's slot migrates, the
  script fails (retryably) rather than answer without a link that has not moved yet.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
  Output:
    flat list { service, stored value, service, stored value, ... } (the client checks each is a pod id)
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
  end
end
return links
