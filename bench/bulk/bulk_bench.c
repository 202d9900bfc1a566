/*
 * 1,000 provisions (or N) through jp_batch with K calls in flight: prints one JSON line
 * {"lang": "c", "k", "n", "journal", "seconds", "per_second", "ok"}.
 *   bulk_bench SANDBOX_URL N K TAG [JOURNAL]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jetpack_partner.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s SANDBOX_URL N K TAG [JOURNAL]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]), k = atoi(argv[3]);
    const char *tag = argv[4], *journal = argc > 5 ? argv[5] : NULL;
    jp_client_builder *builder = NULL;
    jp_client *c = NULL;
    if (jp_client_builder_new("12345", "sandbox-demo-secret", &builder) != JP_OK ||
        jp_client_builder_set_api_base(builder, argv[1]) != JP_OK || jp_client_builder_build(builder, &c) != JP_OK) {
        fprintf(stderr, "client: %s\n", jp_last_error_message());
        jp_client_builder_free(builder);
        return 1;
    }
    jp_client_builder_free(builder);
    /* The token is asked for once, before the clock starts, as a running panel has it. */
    jp_response *warm = NULL;
    jp_status(c, "bench-warm-up.example", &warm);
    jp_response_free(warm);
    jp_batch *b = NULL;
    if (jp_batch_new(c, &b) != JP_OK || jp_batch_set_concurrency(b, (uint32_t)k) != JP_OK ||
        jp_batch_set_journal(b, journal) != JP_OK) {
        fprintf(stderr, "batch: %s\n", jp_last_error_message());
        return 1;
    }
    char site[128];
    for (int i = 0; i < n; i++) {
        snprintf(site, sizeof site, "https://%s-%d.example/", tag, i);
        jp_batch_add_provision(b, NULL, "admin", site, "premium", NULL);
    }
    double start = now();
    if (jp_batch_start(b) != JP_OK) {
        fprintf(stderr, "start: %s\n", jp_last_error_message());
        return 1;
    }
    int ok = 0, results = 0;
    char *r = NULL;
    while (jp_batch_next(b, JP_BATCH_WAIT_FOREVER, &r) == JP_OK && r != NULL) {
        results++;
        if (strstr(r, "\"outcome\":\"done\"")) ok++;
        jp_string_free(r);
    }
    double seconds = now() - start;
    jp_batch_free(b);
    jp_client_free(c);
    printf("{\"lang\":\"c\",\"k\":%d,\"n\":%d,\"journal\":%s,\"seconds\":%.3f,\"per_second\":%.1f,\"ok\":%d}\n", k, n,
           journal ? "true" : "false", seconds, results / seconds, ok);
    return ok == n ? 0 : 1;
}
