--[[
  A pod's sweep entry (statefulSweepSilentPods), decoded. An entry that is not the JSON object a sweep
  writes (a hand-made or foreign write) is treated as absent, so that it never fails a script after
  its first write: a report or a new mark writes over it.
  Returns the entry (or nil when there is none or it cannot be read), and whether something is stored.
]]
local function readSweepEntry(sweepsKey, podId)
  local stored = rcall('HGET', sweepsKey, podId)
  if not stored then
    return nil, false
  end
  local decoded, sweep = pcall(cjson.decode, stored)
  if not decoded or type(sweep) ~= 'table' then
    return nil, true
  end
  for _, field in ipairs({ 'lastSeenAt', 'markedAt', 'removed' }) do
    if type(sweep[field]) ~= 'number' then
      return nil, true
    end
  end
  if (sweep.settleAt ~= nil and type(sweep.settleAt) ~= 'number') or (sweep.toldAt ~= nil and type(sweep.toldAt) ~= 'number') then
    return nil, true
  end
  return sweep, true
end
