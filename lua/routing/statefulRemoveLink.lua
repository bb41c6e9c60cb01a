--[[
  Removes a uid's live link to a service, now or after a linger window.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] linger seconds: <= 0 removes now, N > 0 keeps a temporary link for N seconds
  Output:
    1 if a live link existed, 0 if not (nothing changed, but a corrupt entry is deleted)
]]
local rcall = redis.call
--- @include "routing/includes/podId"
--- @include "routing/includes/removeLink"

local current = rcall('GET', KEYS[2])
if not current then
  return 0
end
-- A corrupt entry is no live link: it is cleared rather than kept lingering, and the answer is 0.
if not canonicalPodId(current) then
  removeLink(KEYS[1], KEYS[2], ARGV[1], 0)
  return 0
end
removeLink(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
return 1
