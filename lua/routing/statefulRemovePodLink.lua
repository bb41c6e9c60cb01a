--[[
  One step of removePodLinks (the sweep of a dead pod's links): removes a link found by SCAN only if
  it really is the link of that service for that uid, and still points at the swept pod
  (compare-and-delete: a user re-linked meanwhile to another pod is left alone). The uid's hash is
  kept in step as removeLinkedPodWithId does, so that no key outlives its links.
  Input:
    KEYS[1] uid hash        sf:{ns:lk:uid}
    KEYS[2] link key        sf:{ns:lk:uid}svc
    ARGV[1] service name
    ARGV[2] linger seconds: <= 0 removes now, N > 0 keeps a temporary link for N seconds
    ARGV[3] swept pod id (decimal)
    ARGV[4] Redis time (ms) after which the removal is refused ('' = never): a sweep's batch is only valid
            until its settleAt (statefulSweepSilentPods), after which the pod may have linked its users again
  Output:
    1 if the link was removed (or turned temporary), 0 if not (nothing changed), -1 if refused because it came
    after ARGV[4] (nothing changed; the link may still point at the pod: the sweep of the pod is not done)
]]
local rcall = redis.call
--- @include "routing/includes/podId"
--- @include "routing/includes/redisTimeMs"
--- @include "routing/includes/removeLink"

-- The link key must be the uid hash's key followed by the service name: a key the SCAN pattern
-- matched by accident is never touched. A link key the uid hash does not name (a partial write of
-- another client) is still a link, as every read answers it: it is swept too.
if string.sub(KEYS[2], 1, #KEYS[1]) ~= KEYS[1] or string.sub(KEYS[2], #KEYS[1] + 1) ~= ARGV[1] then
  return 0
end
if ARGV[4] and ARGV[4] ~= '' and redisTimeMs() >= tonumber(ARGV[4]) then
  return -1
end
-- Pod ids compare as numbers; a corrupt entry matches no pod.
if canonicalPodId(rcall('GET', KEYS[2])) ~= tonumber(ARGV[3]) then
  return 0
end
removeLink(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
return 1
