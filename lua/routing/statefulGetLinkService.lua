--[[
  Lists every live link of a uid. The hash names the services; each link key is the
  authority, so a field whose link has expired is left out.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
  Output:
    flat list { service, pod id, service, pod id, ... }
]]
local rcall = redis.call

local links = {}
for _, service in ipairs(rcall('HKEYS', KEYS[1])) do
  local podId = rcall('GET', KEYS[1] .. service)
  if podId then
    links[#links + 1] = service
    links[#links + 1] = podId
  end
end
return links
