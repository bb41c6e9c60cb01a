--[[
  Sets the states of several pods of one service at once (batchSetServiceState). Written on the pods'
  behalf (a controller, an operator) unless ARGV[1] is '1': then each is a report of that pod, recorded
  as statefulSetState's 'state' action records it. Every key is read before the first write, so that an
  error writes nothing.
  Input:
    KEYS[1] pod states      sf:{ns:state:svc}
    KEYS[2] pod weights     sf:{ns:state:svc}weight
    KEYS[3] pod liveness    sf:{ns:state:svc}seen
    KEYS[4] pod writes      sf:{ns:state:svc}writes
    KEYS[5] pod sweeps      sf:{ns:state:svc}sweeps
    ARGV[1] '1': reports of the pods; '0': written on their behalf (liveness untouched)
    ARGV[2..n] pairs: pod id (decimal), state, pod id, state, ...
  Output:
    flat { pod id, sweep entry (JSON), ... } of the pods that had been declared silent since their last
    report (reports only)
]]
local rcall = redis.call
--- @include "routing/includes/redisTimeMs"
--- @include "routing/includes/podEntries"
--- @include "routing/includes/sweepEntry"
--- @include "routing/includes/sweepNotice"

local reports = ARGV[1] == '1'
-- Reads first: a wrong type on any key fails here, before anything is written.
local pods = {}
for i = 2, #ARGV, 2 do
  local podId = ARGV[i]
  local known = rcall('HGET', KEYS[4], podId)
  rcall('HGET', KEYS[3], podId)
  local sweep, sweepStored = readSweepEntry(KEYS[5], podId)
  pods[#pods + 1] = {
    id = podId,
    state = ARGV[i + 1],
    ownEntries = not known or known == podEntries(KEYS[1], KEYS[2], podId),
    sweep = sweep,
    sweepStored = sweepStored,
  }
end

local now = reports and redisTimeMs()
local notices = {}
for _, pod in ipairs(pods) do
  rcall('HSET', KEYS[1], pod.id, pod.state)
  if reports then
    local notice = sweepNotice(KEYS[1], KEYS[5], pod.id, pod.sweep, pod.sweepStored, pod.ownEntries, true, now)
    if notice then
      notices[#notices + 1] = pod.id
      notices[#notices + 1] = notice
    end
    rcall('HSET', KEYS[3], pod.id, now)
  end
  -- A write on the pods' behalf keeps the record only while it was the pod's own (see statefulSetState).
  if reports or pod.ownEntries then
    rcall('HSET', KEYS[4], pod.id, podEntries(KEYS[1], KEYS[2], pod.id))
  end
end
return notices
