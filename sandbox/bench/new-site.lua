-- A provision of a new site each time (one journal write per request with --state).
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("prefix", os.time() .. "t" .. threads)
end
local n = 0
request = function()
  n = n + 1
  local body = "local_user=admin&plan=premium&siteurl=https%3A%2F%2Fs" .. prefix .. "-" .. n .. ".example%2F"
  return wrk.format("POST", "/rest/v1.3/jpphp/provision", headers, body)
end
