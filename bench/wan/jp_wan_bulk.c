/*
 * jp_wan_bulk: N provisions from a process that starts cold, through the C ABI, with T threads
 * sharing one client (T provisions in flight).
 *
 *   jp_wan_bulk API_BASE CA_BUNDLE THREADS N [TOKEN_CACHE_DIR]
 *
 * Unlike bench/c/jp_bench.c nothing is warmed up: the time runs from the client's creation to
 * the last reply, so it holds the connections' handshakes and the token request (or, with
 * TOKEN_CACHE_DIR, the token read from the cache shared between processes), as a provisioning
 * run started by cron or a queue worker would. Threads take the next provision from a shared
 * counter. Prints one JSON line; exits 1 if a call failed, 3 if TOKEN_CACHE_DIR was given to
 * a build whose header has no jp_client_builder_set_token_cache_dir (the harness defines
 * JP_HAVE_TOKEN_CACHE_DIR when it has).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jetpack_partner.h"

static const char *SITE = "https://example.com/";
static const char *USER = "admin";
static const char *PLAN = "premium";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
    const jp_client *client;
    long calls;
    atomic_long next;
    atomic_long failures;
    double *latency_s; /* one per call, by call number */
};

static int provision_once(const jp_client *client) {
    jp_response *r = NULL;
    jp_code code = jp_provision(client, USER, SITE, PLAN, NULL, &r);
    const char *json = code == JP_OK ? jp_response_json(r) : NULL;
    int ok = json != NULL && strstr(json, "\"success\":true") != NULL;
    if (!ok) {
        const char *ec = r ? jp_response_error_code(r) : NULL;
        const char *em = r ? jp_response_error_message(r) : NULL;
        fprintf(stderr, "jp_wan_bulk: provision failed: code=%u error_code=%s message=%s\n", (unsigned)code,
                ec ? ec : "-", em ? em : "-");
    }
    jp_response_free(r);
    return ok;
}

static void *worker(void *arg) {
    struct run *run = arg;
    for (;;) {
        long i = atomic_fetch_add(&run->next, 1);
        if (i >= run->calls) return NULL;
        double t0 = now_s();
        if (!provision_once(run->client)) atomic_fetch_add(&run->failures, 1);
        run->latency_s[i] = now_s() - t0;
    }
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long count_arg(const char *s, long max) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || *end || v <= 0 || v > max) {
        fprintf(stderr, "jp_wan_bulk: bad count %s\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: jp_wan_bulk API_BASE CA_BUNDLE THREADS N [TOKEN_CACHE_DIR]\n");
        return 2;
    }
    long threads = count_arg(argv[3], 256), calls = count_arg(argv[4], 1000000);
    const char *cache_dir = argc == 6 ? argv[5] : NULL;
#ifndef JP_HAVE_TOKEN_CACHE_DIR
    if (cache_dir) {
        printf("{\"unsupported\":\"jp_client_builder_set_token_cache_dir is not in this build\"}\n");
        return 3;
    }
#endif
    const char *id = getenv("JP_BENCH_PARTNER_ID"), *secret = getenv("JP_BENCH_PARTNER_SECRET");
    double t0 = now_s();
    jp_client_builder *builder = NULL;
    jp_client *client = NULL;
    int ok = jp_client_builder_new(id ? id : "12345", secret ? secret : "sandbox-demo-secret", &builder) == JP_OK &&
             jp_client_builder_set_api_base(builder, argv[1]) == JP_OK &&
             jp_client_builder_set_ca_bundle(builder, argv[2]) == JP_OK &&
             jp_client_builder_set_timeout_ms(builder, 60000) == JP_OK;
#ifdef JP_HAVE_TOKEN_CACHE_DIR
    if (ok && cache_dir) ok = jp_client_builder_set_token_cache_dir(builder, cache_dir) == JP_OK;
#endif
    if (ok) ok = jp_client_builder_build(builder, &client) == JP_OK;
    jp_client_builder_free(builder);
    if (!ok) {
        const char *m = jp_last_error_message();
        fprintf(stderr, "jp_wan_bulk: client setup failed: %s\n", m ? m : "-");
        return 1;
    }

    struct run run = {.client = client, .calls = calls};
    atomic_init(&run.next, 0);
    atomic_init(&run.failures, 0);
    run.latency_s = calloc((size_t)calls, sizeof *run.latency_s);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!run.latency_s || !tids) return 1;
    for (long t = 0; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, worker, &run) != 0) {
            fprintf(stderr, "jp_wan_bulk: pthread_create failed\n");
            return 1;
        }
    }
    for (long t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    double secs = now_s() - t0;
    long failures = atomic_load(&run.failures);

    qsort(run.latency_s, (size_t)calls, sizeof *run.latency_s, by_value);
    printf("{\"calls\":%ld,\"threads\":%ld,\"seconds\":%.6f,\"failures\":%ld,\"call_p50_ms\":%.3f,"
           "\"call_p90_ms\":%.3f,\"version\":\"%s\"}\n",
           calls, threads, secs, failures, run.latency_s[(calls - 1) / 2] * 1000,
           run.latency_s[(calls - 1) * 9 / 10] * 1000, jp_version());
    jp_client_free(client);
    free(run.latency_s);
    free(tids);
    return failures ? 1 : 0;
}
