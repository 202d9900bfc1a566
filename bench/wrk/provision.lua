-- wrk script: the same provision request the clients send, with a cached token.
-- Env: BENCH_TOKEN (bearer token), BENCH_PLAN (default premium).
local token = os.getenv("BENCH_TOKEN") or "bench-token"
local plan = os.getenv("BENCH_PLAN") or "premium"
wrk.method = "POST"
wrk.path = "/rest/v1.3/jpphp/provision"
wrk.body = "local_user=admin&siteurl=https%3A%2F%2Fexample.com%2F&plan=" .. plan
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer " .. token

local report = dofile(os.getenv("BENCH_WRK_REPORT"))
done = report.done
