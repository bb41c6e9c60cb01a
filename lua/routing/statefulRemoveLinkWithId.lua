--[[
  Compare-and-remove: removes a uid's live link to a service only if it points at the given pod.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] linger seconds: <= 0 removes now, N > 0 keeps a temporary link for N seconds
    ARGV[3] expected pod id (decimal)
  Output:
    1 if the live link pointed at the pod and was removed, 0 if not (nothing changed)
]]
local rcall = redis.call
--- @include "routing/includes/podId"
--- @include "routing/includes/removeLink"

-- Pod ids compare as numbers; a corrupt entry matches no pod.
if canonicalPodId(rcall('GET', KEYS[2])) ~= tonumber(ARGV[3]) then
  return 0
end
removeLink(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
return 1
