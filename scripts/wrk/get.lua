-- GET the paths of BENCH_PATHS (comma-separated) in turn, with the bearer
-- token; BENCH_HEADERS adds "Name: value" pairs separated by "|" (an
-- If-None-Match, an Accept-Encoding).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local paths = common.list("BENCH_PATHS")
local headers = {}
for k, v in pairs(common.headers) do headers[k] = v end
for pair in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
  local name, value = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
  if name then headers[name] = value end
end
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end

done = common.done
