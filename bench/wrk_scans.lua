-- wrk script for bench/scan_load.py: POST /api/v1/scans with codes from a file, each
-- request with a fresh scan_id. Environment: ADMIT_CODES (file), ADMIT_TOKEN, ADMIT_GATE.
local codes = {}
local i = 0
local thread_id = 0
local counter = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  for line in io.lines(os.getenv("ADMIT_CODES")) do codes[#codes + 1] = line end
  math.randomseed(os.time() * 1000 + (tid or 0))
  i = -1  -- one wrk thread walks the codes in order from the first
end

local function uuid()
  counter = counter + 1
  return string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0xffffffff),
    (tid or 0) % 0xffff, math.random(0, 0xfff), math.random(0, 0xfff), counter)
end

request = function()
  i = i + 1
  local code = codes[(i % #codes) + 1]
  local body = '{"scan_id":"' .. uuid() .. '","code":"' .. code .. '","gate":"' .. os.getenv("ADMIT_GATE") .. '"}'
  return wrk.format("POST", "/api/v1/scans", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("ADMIT_TOKEN"),
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("WRK %d %.3f %.3f %.3f %.3f %d %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.status, summary.errors.timeout))
end
