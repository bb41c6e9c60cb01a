--[[
  Links a uid to a pod unless a persistent link to another pod exists.
  A temporary link, or a link to the same pod, is replaced.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] pod id (decimal)
    ARGV[3] ttl: -1 persistent, N > 0 temporary for N seconds
  Output:
    { 1, pod id } when linked, { 0, owning pod } when another pod holds a persistent link
]]
local rcall = redis.call
--- @include "routing/includes/podId"
--- @include "routing/includes/writeLink"

-- Pod ids compare as numbers; a corrupt entry is no link and is overwritten.
local current = rcall('GET', KEYS[2])
local owner = canonicalPodId(current)
if owner and owner ~= tonumber(ARGV[2]) and rcall('PTTL', KEYS[2]) == -1 then
  return { 0, current }
end
writeLink(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]))
return { 1, ARGV[2] }
