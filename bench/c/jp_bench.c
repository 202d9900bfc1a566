/*
 * jp_bench: sequential and threaded provisions through the C ABI.
 *
 *   jp_bench API_BASE seq N            N sequential provisions on one client
 *   jp_bench API_BASE threads T N      N provisions split over T threads sharing one client
 *   jp_bench API_BASE rss N            RSS before and after N sequential provisions
 *
 * Credentials come from JP_BENCH_PARTNER_ID / JP_BENCH_PARTNER_SECRET (default: the
 * sandbox's demo partner), the plan from JP_BENCH_PLAN (default premium).
 * One warm-up call is made before timing, so the token is cached and the
 * connection open: what is timed is the steady state of a long-lived process.
 * Prints one JSON line on stdout; exits 1 if any call failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jetpack_partner.h"

static const char *SITE = "https://example.com/";
static const char *USER = "admin";
static const char *PLAN = "premium";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in KiB, from /proc/self/status (VmRSS). */
static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* One provision; returns 0 on success, prints the first failures to stderr. */
static int provision_once(const jp_client *client) {
    jp_response *r = NULL;
    jp_code code = jp_provision(client, USER, SITE, PLAN, NULL, &r);
    int ok = (code == JP_OK) && jp_response_ok(r);
    if (ok) {
        const char *json = jp_response_json(r);
        ok = json != NULL && strstr(json, "\"success\":true") != NULL;
    }
    if (!ok) {
        static int reported = 0;
        if (reported++ < 3) {
            const char *ec = r ? jp_response_error_code(r) : NULL;
            const char *em = r ? jp_response_error_message(r) : NULL;
            const char *js = r ? jp_response_json(r) : NULL;
            fprintf(stderr, "jp_bench: provision failed: code=%u error_code=%s message=%s http=%u body=%s\n",
                    (unsigned)code, ec ? ec : "-", em ? em : "-", r ? (unsigned)jp_response_http_status(r) : 0u,
                    js ? js : "-");
        }
    }
    jp_response_free(r);
    return ok ? 0 : 1;
}

struct worker {
    const jp_client *client;
    long calls;
    long failures;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    for (long i = 0; i < w->calls; i++) w->failures += provision_once(w->client);
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: jp_bench API_BASE seq N | threads T N | rss N\n");
    exit(2);
}

static long parse_count(const char *s) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v <= 0) usage();
    return v;
}

int main(int argc, char **argv) {
    if (argc < 4) usage();
    const char *base = argv[1];
    const char *mode = argv[2];
    const char *id = getenv("JP_BENCH_PARTNER_ID");
    const char *secret = getenv("JP_BENCH_PARTNER_SECRET");
    const char *plan = getenv("JP_BENCH_PLAN");
    if (!id) id = "12345";
    if (!secret) secret = "sandbox-demo-secret";
    if (plan && *plan) PLAN = plan;

    long threads = 1, calls;
    int rss_mode = 0;
    if (strcmp(mode, "seq") == 0) {
        calls = parse_count(argv[3]);
    } else if (strcmp(mode, "threads") == 0) {
        if (argc < 5) usage();
        threads = parse_count(argv[3]);
        calls = parse_count(argv[4]);
        if (threads > 256) usage();
    } else if (strcmp(mode, "rss") == 0) {
        calls = parse_count(argv[3]);
        rss_mode = 1;
    } else {
        usage();
    }

    long rss_start = rss_kib();
    jp_client_builder *builder = NULL;
    jp_client *client = NULL;
    if (jp_client_builder_new(id, secret, &builder) != JP_OK || jp_client_builder_set_api_base(builder, base) != JP_OK ||
        jp_client_builder_set_timeout_ms(builder, 10000) != JP_OK ||
        jp_client_builder_build(builder, &client) != JP_OK) {
        const char *m = jp_last_error_message();
        fprintf(stderr, "jp_bench: client setup failed: %s\n", m ? m : "-");
        jp_client_builder_free(builder);
        return 1;
    }
    jp_client_builder_free(builder);

    /* Warm-up: token fetched, connection(s) open, lazy state built. */
    long failures = 0;
    long warmup = rss_mode ? 1000 : threads;
    for (long i = 0; i < warmup; i++) failures += provision_once(client);
    if (failures) {
        fprintf(stderr, "jp_bench: warm-up failed\n");
        jp_client_free(client);
        return 1;
    }
    long rss_before = rss_kib();

    size_t nthreads = (size_t)threads & 0x1ff; /* 1..256, checked above */
    struct worker *ws = calloc(nthreads, sizeof *ws);
    pthread_t *tids = calloc(nthreads, sizeof *tids);
    if (!ws || !tids) return 1;
    double t0 = now_s();
    if (threads == 1) {
        ws[0].client = client;
        ws[0].calls = calls;
        worker_main(&ws[0]);
    } else {
        for (long t = 0; t < threads; t++) {
            ws[t].client = client;
            ws[t].calls = calls / threads + (t < calls % threads ? 1 : 0);
            if (pthread_create(&tids[t], NULL, worker_main, &ws[t]) != 0) {
                fprintf(stderr, "jp_bench: pthread_create failed\n");
                return 1;
            }
        }
        for (long t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    }
    double secs = now_s() - t0;
    long rss_after = rss_kib();
    for (long t = 0; t < threads; t++) failures += ws[t].failures;

    printf("{\"calls\":%ld,\"seconds\":%.6f,\"rate\":%.2f,\"failures\":%ld,\"threads\":%ld", calls, secs,
           (double)calls / secs, failures, threads);
    if (rss_mode)
        printf(",\"rss_start_kib\":%ld,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"rss_growth_kib\":%ld,"
               "\"warmup_calls\":%ld",
               rss_start, rss_before, rss_after, rss_after - rss_before, warmup);
    printf(",\"version\":\"%s\"}\n", jp_version());
    jp_client_free(client);
    free(ws);
    free(tids);
    return failures ? 1 : 0;
}
