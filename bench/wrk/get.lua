-- wrk script: plain keep-alive GET of the URL given on the command line.
local report = dofile(os.getenv("BENCH_WRK_REPORT"))
done = report.done
