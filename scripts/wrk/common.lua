-- Shared by the wrk scripts of scripts/bench-wrk.sh: the bearer token and
-- one machine-readable result line per run.
local M = {}

M.headers = {
  ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or ""),
  ["Content-Type"] = "application/json",
}

-- Comma-separated values of an environment variable, as a list.
function M.list(name)
  local out = {}
  for v in string.gmatch(os.getenv(name) or "", "[^,]+") do
    out[#out + 1] = v
  end
  return out
end

-- wrk calls done() once, after the run: print what bench-wrk.sh tabulates.
-- Latencies are in microseconds; "bad" counts socket errors, timeouts and
-- answers other than 2xx/3xx.
function M.done(summary, latency, requests)
  local e = summary.errors
  local bad = e.connect + e.read + e.write + e.timeout + e.status
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %.0f %.2f %.2f %.2f %d %d\n",
    summary.requests / seconds,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    bad,
    summary.requests))
end

return M
