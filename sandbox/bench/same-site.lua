-- The same provision each time (nothing changes after the first one).
wrk.method = "POST"
wrk.path = "/rest/v1.3/jpphp/provision"
wrk.body = "local_user=admin&siteurl=https%3A%2F%2Fexample.com%2F&plan=premium"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
