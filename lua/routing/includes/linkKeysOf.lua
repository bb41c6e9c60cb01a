--[[
  The link keys a uid's hash names (hashKey .. service, inside the hash tag's slot), checked to be on
  this node. While a cluster slot migrates, some of them may sit on the other node: Redis then aborts the
  script at the EXISTS below, before the caller's first write, and the client gets a retryable error.
  A multi-key EXISTS is needed on the node importing the slot, where a single-key read of a link not
  moved yet would answer "missing" instead of failing.
  Returns the services and their link keys, in the same order.
]]
local function linkKeysOf(hashKey)
  local services = rcall('HKEYS', hashKey)
  local linkKeys = {}
  for i, service in ipairs(services) do
    linkKeys[i] = hashKey .. service
  end
  if #linkKeys > 0 then
    rcall('EXISTS', hashKey, unpack(linkKeys))
  end
  return services, linkKeys
end
