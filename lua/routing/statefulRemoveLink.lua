--[[
  Removes a uid's live link to a service, now or after a linger window.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] linger seconds: <= 0 removes now, N > 0 keeps a temporary link for N seconds
  Output:
    1 if a live link existed, 0 if not (nothing changed)
]]
local rcall = redis.call
--- @include "includes/syncUidHash"
--- @include "includes/removeLink"

if not rcall('GET', KEYS[2]) then
  return 0
end
removeLink(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
return 1
