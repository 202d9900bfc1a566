-- Shared wrk `done` hook: one JSON line, prefixed with "BENCH_JSON ", that the harness reads.
local M = {}
function M.done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"calls":%d,"seconds":%.6f,"rate":%.2f,"failures":%d,"non_2xx":%d,' ..
    '"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, secs, summary.requests / secs, errors + e.status, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
return M
