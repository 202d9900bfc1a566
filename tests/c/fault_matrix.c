/*
 * The fault matrix and the bad-input table of libjetpack_partner, through the C ABI, against a running
 * sandbox (issue 5, "Proof"). The expectations are those of tests/secrets.rs (the same matrix through
 * the Rust client) and of README.md, "Error codes and failure behaviour".
 *
 *   fault_matrix SANDBOX_URL DOOMED_URL DOOMED_PID
 *
 * SANDBOX_URL is http://127.0.0.1:PORT of a jetpack-partner-sandbox with the demo partner
 * (12345 / sandbox-demo-secret) and its control endpoints. DOOMED_URL is a second sandbox (demo
 * partner), process DOOMED_PID, that this program stops with SIGTERM once its clients hold a token:
 * then their calls meet a refused connection. Rows run one after the other; each one
 * clears the faults and resets the sandbox's statistics first, so the requests it counts are the row's.
 * Prints each failure, then "N passed, M failed"; exits 0 only when nothing failed.
 * Run under valgrind by tests/c/run.sh.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "harness.h"

#define MIB (1024 * 1024)
/* A call with a time limit must return within it plus this (a loaded machine, valgrind). */
#define MARGIN_MS 3000

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The number after the first "key": in `json`; -1 if absent. */
static long json_number(const char *json, const char *key) {
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    return at ? strtol(at + strlen(pattern), NULL, 10) : -1;
}

struct stats {
    long total;
    long token;
    long provision;
    long status;
};

/* Requests the sandbox counted since the last reset (an endpoint it did not list counts 0). */
static struct stats read_stats(void) {
    char *reply = control("GET", "/__sandbox/stats", NULL);
    struct stats s = {-1, 0, 0, 0};
    const char *requests = reply ? strstr(reply, "\"requests\"") : NULL;
    s.total = json_number(reply, "total");
    if (requests) {
        long v;
        if ((v = json_number(requests, "token")) >= 0) s.token = v;
        if ((v = json_number(requests, "provision")) >= 0) s.provision = v;
        if ((v = json_number(requests, "status")) >= 0) s.status = v;
    }
    free(reply);
    return s;
}

/* http://127.0.0.1:PORT of a loopback port nobody listens on. */
/* ==== the fault matrix ==== */

enum op { PROVISION, STATUS };

struct fault_row {
    const char *name;
    enum op op;
    /* The faulted endpoint: "provision", "status" or "token"; NULL: the API base is a closed port. */
    const char *endpoint;
    /* The rule's members other than "endpoint". */
    const char *rule;
    uint64_t timeout_ms;    /* overall time limit; 0: 20 s */
    uint32_t max_attempts;  /* 0: the default, 3 */
    jp_code code;
    const char *error_code; /* NULL on success */
    uint16_t http_status;   /* 0: no HTTP reply read */
    uint32_t attempts_min, attempts_max; /* jp_response_attempts */
    long token_min, token_max;           /* token requests the sandbox saw */
    long op_min, op_max;                 /* requests of the operation's endpoint the sandbox saw */
    long min_elapsed_ms;                 /* the call waited at least this long (Retry-After) */
    const char *message_part;            /* the error message contains this */
};

#define P PROVISION
#define S STATUS
#define OUTCOME "check the site's status"

static const struct fault_row FAULT_ROWS[] = {
    /* name, op, endpoint, rule, timeout, attempts, code, error code, http, attempts, token requests,
       operation requests, min elapsed, message */

    /* Refused connection: the request provably never arrived, retried, then transport_error. */
    {"provision, connection refused", P, NULL, NULL, 5000, 0, JP_TRANSPORT_ERROR, "transport_error", 0, 0, 3, 0, 0, 0,
     0, 0, "nothing was sent"},
    {"status, connection refused", S, NULL, NULL, 5000, 0, JP_TRANSPORT_ERROR, "transport_error", 0, 0, 3, 0, 0, 0, 0,
     0, "nothing was sent"},

    /* Reset mid-body (processed, half the body, RST). */
    {"provision, reset mid-body", P, "provision", "\"kind\":\"reset\"", 5000, 0, JP_OUTCOME_UNKNOWN, "outcome_unknown", 0,
     1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"status, reset once", S, "status", "\"kind\":\"reset\"", 5000, 0, JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 0, NULL},
    {"status, reset always", S, "status", "\"kind\":\"reset\",\"count\":0", 5000, 0, JP_TRANSPORT_ERROR,
     "transport_error", 0, 3, 3, 0, 0, 3, 3, 0, NULL},

    /* Slow headers and slow body, one byte a second, against a 2.5 s overall limit. */
    {"provision, slow headers", P, "provision", "\"kind\":\"slow_headers\",\"delay_ms\":1000", 2500, 0,
     JP_OUTCOME_UNKNOWN, "outcome_unknown", 0, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"status, slow headers", S, "status", "\"kind\":\"slow_headers\",\"delay_ms\":1000,\"count\":0", 2500, 0,
     JP_TIMEOUT, "timeout", 0, 1, 2, 0, 0, 1, 2, 0, NULL},
    {"provision, slow body", P, "provision", "\"kind\":\"slow_body\",\"delay_ms\":1000", 2500, 0, JP_OUTCOME_UNKNOWN,
     "outcome_unknown", 0, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"status, slow body", S, "status", "\"kind\":\"slow_body\",\"delay_ms\":1000,\"count\":0", 2500, 0, JP_TIMEOUT,
     "timeout", 0, 1, 2, 0, 0, 1, 2, 0, NULL},

    /* 500: final for both; a POST's outcome is unknown. */
    {"provision, 500", P, "provision", "\"kind\":\"status\",\"status\":500", 0, 0, JP_OUTCOME_UNKNOWN,
     "outcome_unknown", 500, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"status, 500", S, "status", "\"kind\":\"status\",\"status\":500", 0, 0, JP_API_ERROR, "sandbox_fault", 500, 1, 1,
     0, 0, 1, 1, 0, NULL},

    /* 502: a GET is repeated, a POST is not. */
    {"provision, 502", P, "provision", "\"kind\":\"status\",\"status\":502", 0, 0, JP_OUTCOME_UNKNOWN,
     "outcome_unknown", 502, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"status, 502 once", S, "status", "\"kind\":\"status\",\"status\":502", 0, 0, JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 0,
     NULL},
    {"status, 502 always", S, "status", "\"kind\":\"status\",\"status\":502,\"count\":0", 0, 0, JP_API_ERROR,
     "sandbox_fault", 502, 3, 3, 0, 0, 3, 3, 0, NULL},

    /* 503: a POST is repeated only with Retry-After. */
    {"provision, 503 without Retry-After", P, "provision", "\"kind\":\"status\",\"status\":503", 0, 0,
     JP_OUTCOME_UNKNOWN, "outcome_unknown", 503, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"provision, 503 Retry-After 1 once", P, "provision", "\"kind\":\"status\",\"status\":503,\"retry_after\":1", 0, 0,
     JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 900, NULL},
    {"status, 503 once", S, "status", "\"kind\":\"status\",\"status\":503", 0, 0, JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 0,
     NULL},
    {"status, 503 always", S, "status", "\"kind\":\"status\",\"status\":503,\"count\":0", 0, 0, JP_API_ERROR,
     "sandbox_fault", 503, 3, 3, 0, 0, 3, 3, 0, NULL},

    /* 504: like 502. 429 without Retry-After: repeated after the client's own backoff, POST included. */
    {"provision, 504", P, "provision", "\"kind\":\"status\",\"status\":504", 0, 0, JP_OUTCOME_UNKNOWN,
     "outcome_unknown", 504, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"status, 504 once", S, "status", "\"kind\":\"status\",\"status\":504", 0, 0, JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 0,
     NULL},
    {"provision, 429 without Retry-After once", P, "provision", "\"kind\":\"status\",\"status\":429", 0, 0, JP_OK,
     NULL, 200, 2, 2, 0, 0, 2, 2, 0, NULL},

    /* 429 with Retry-After: both repeated after the pause the server asked for. */
    {"provision, 429 Retry-After 1 once", P, "provision", "\"kind\":\"status\",\"status\":429,\"retry_after\":1", 0, 0,
     JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 900, NULL},
    {"status, 429 Retry-After 1 once", S, "status", "\"kind\":\"status\",\"status\":429,\"retry_after\":1", 0, 0,
     JP_OK, NULL, 200, 2, 2, 0, 0, 2, 2, 900, NULL},
    {"provision, 429 Retry-After 1 always, 2 attempts", P, "provision",
     "\"kind\":\"status\",\"status\":429,\"retry_after\":1,\"count\":0", 0, 2, JP_API_ERROR, "sandbox_fault", 429, 2,
     2, 0, 0, 2, 2, 900, NULL},
    {"status, 429 Retry-After 1 always, 2 attempts", S, "status",
     "\"kind\":\"status\",\"status\":429,\"retry_after\":1,\"count\":0", 0, 2, JP_API_ERROR, "sandbox_fault", 429, 2, 2,
     0, 0, 2, 2, 900, NULL},
    /* Retry-After 30 is cut to 10 s; a pause that would pass the 3 s overall limit is not taken. */
    {"provision, 429 Retry-After 30, 3 s limit", P, "provision",
     "\"kind\":\"status\",\"status\":429,\"retry_after\":30", 3000, 0, JP_API_ERROR, "sandbox_fault", 429, 1, 1, 0, 0,
     1, 1, 0, NULL},
    {"status, 429 Retry-After 30, 3 s limit", S, "status", "\"kind\":\"status\",\"status\":429,\"retry_after\":30",
     3000, 0, JP_API_ERROR, "sandbox_fault", 429, 1, 1, 0, 0, 1, 1, 0, NULL},

    /* Not the JSON expected. */
    {"provision, invalid JSON", P, "provision", "\"kind\":\"invalid_json\"", 0, 0, JP_INVALID_RESPONSE,
     "invalid_response", 200, 1, 1, 0, 0, 1, 1, 0, NULL},
    {"status, invalid JSON", S, "status", "\"kind\":\"invalid_json\"", 0, 0, JP_INVALID_RESPONSE, "invalid_response",
     200, 1, 1, 0, 0, 1, 1, 0, NULL},
    {"provision, truncated JSON", P, "provision", "\"kind\":\"truncated_json\"", 0, 0, JP_INVALID_RESPONSE,
     "invalid_response", 200, 1, 1, 0, 0, 1, 1, 0, NULL},
    {"status, truncated JSON", S, "status", "\"kind\":\"truncated_json\"", 0, 0, JP_INVALID_RESPONSE,
     "invalid_response", 200, 1, 1, 0, 0, 1, 1, 0, NULL},

    /* HTML error pages: the status and an excerpt in the message. */
    {"provision, HTML 502", P, "provision", "\"kind\":\"html\",\"status\":502", 0, 0, JP_OUTCOME_UNKNOWN,
     "outcome_unknown", 502, 1, 1, 0, 0, 1, 1, 0, OUTCOME},
    {"provision, HTML 404", P, "provision", "\"kind\":\"html\",\"status\":404", 0, 0, JP_INVALID_RESPONSE,
     "invalid_response", 404, 1, 1, 0, 0, 1, 1, 0, "404"},
    {"status, HTML 502 once", S, "status", "\"kind\":\"html\",\"status\":502", 0, 0, JP_OK, NULL, 200, 2, 2, 0, 0, 2,
     2, 0, NULL},
    {"status, HTML 502 always", S, "status", "\"kind\":\"html\",\"status\":502,\"count\":0", 0, 0,
     JP_INVALID_RESPONSE, "invalid_response", 502, 3, 3, 0, 0, 3, 3, 0, "502"},
    {"status, HTML 404", S, "status", "\"kind\":\"html\",\"status\":404", 0, 0, JP_INVALID_RESPONSE,
     "invalid_response", 404, 1, 1, 0, 0, 1, 1, 0, "404"},

    /* A 2 MiB body against the default 1 MiB cap. */
    {"provision, oversized body", P, "provision", "\"kind\":\"oversized\"", 0, 0, JP_RESPONSE_TOO_LARGE,
     "response_too_large", 0, 1, 1, 0, 0, 1, 1, 0, NULL},
    {"status, oversized body", S, "status", "\"kind\":\"oversized\"", 0, 0, JP_RESPONSE_TOO_LARGE,
     "response_too_large", 0, 1, 1, 0, 0, 1, 1, 0, NULL},

    /* Token refused: one fresh token and one repeat, no more. */
    {"provision, token refused once", P, "provision", "\"kind\":\"refuse_token\"", 0, 0, JP_OK, NULL, 200, 2, 2, 1, 1,
     2, 2, 0, NULL},
    {"status, token refused once", S, "status", "\"kind\":\"refuse_token\"", 0, 0, JP_OK, NULL, 200, 2, 2, 1, 1, 2, 2,
     0, NULL},
    {"provision, token refused twice", P, "provision", "\"kind\":\"refuse_token\",\"count\":2", 0, 0, JP_API_ERROR,
     "invalid_token", 403, 2, 2, 1, 1, 2, 2, 0, NULL},
    {"status, token refused twice", S, "status", "\"kind\":\"refuse_token\",\"count\":2", 0, 0, JP_API_ERROR,
     "invalid_token", 403, 2, 2, 1, 1, 2, 2, 0, NULL},

    /* The token request itself (safe to repeat on 502/503/429; other failures final). */
    {"token 502 once, then provision", P, "token", "\"kind\":\"status\",\"status\":502", 0, 0, JP_OK, NULL, 200, 1, 1,
     2, 2, 1, 1, 0, NULL},
    {"token 429 Retry-After 1 once, then status", S, "token", "\"kind\":\"status\",\"status\":429,\"retry_after\":1", 0,
     0, JP_OK, NULL, 200, 1, 1, 2, 2, 1, 1, 900, NULL},
    {"token 500", P, "token", "\"kind\":\"status\",\"status\":500", 0, 0, JP_TOKEN_ERROR, "token_error", 500, 0, 1, 1,
     1, 0, 0, 0, NULL},
    {"token refused", S, "token", "\"kind\":\"refuse_token\"", 0, 0, JP_TOKEN_ERROR, "token_error", 403, 0, 1, 1, 1, 0,
     0, 0, NULL},
    {"token invalid JSON", S, "token", "\"kind\":\"invalid_json\"", 0, 0, JP_INVALID_RESPONSE, "invalid_response", 200,
     0, 1, 1, 1, 0, 0, 0, NULL},
    {"token reset always", P, "token", "\"kind\":\"reset\",\"count\":0", 5000, 0, JP_TRANSPORT_ERROR, "transport_error",
     0, 0, 3, 3, 3, 0, 0, 0, NULL},
};

#undef P
#undef S

static void run_fault_row(const struct fault_row *row, int index) {
    const char *what = row->name;
    jp_client_builder *builder = sandbox_builder();
    /* A connect limit of its own gives the row's client its own token (clients with the same
       settings share theirs within the process). */
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, 5000 + (uint64_t)index) == JP_OK, "%s: connect limit",
          what);
    CHECK(jp_client_builder_set_timeout_ms(builder, row->timeout_ms ? row->timeout_ms : 20000) == JP_OK, "%s: limit",
          what);
    if (row->max_attempts)
        CHECK(jp_client_builder_set_max_attempts(builder, row->max_attempts) == JP_OK, "%s: attempts", what);
    if (row->endpoint == NULL) {
        char url[64];
        closed_port_url(url, sizeof url);
        CHECK(jp_client_builder_set_api_base(builder, url) == JP_OK, "%s: api base", what);
    }
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
    char site[96];
    snprintf(site, sizeof site, "https://c-matrix-%d.example", index);
    clear_faults();
    if (row->endpoint == NULL) {
        /* Nothing listens at the client's API base: nothing to set up. */
    } else if (strcmp(row->endpoint, "token") != 0) {
        /* The token and the site exist before the fault. */
        jp_response *warm = NULL;
        CHECK(jp_provision(client, "admin", site, "premium", NULL, &warm) == JP_OK, "%s: warm-up provision: %s", what,
              str_or(jp_response_error_message(warm)));
        jp_response_free(warm);
    } else if (row->op == STATUS) {
        /* The site exists; the client's token does not yet. */
        jp_client_builder *other_builder = sandbox_builder();
        CHECK(jp_client_builder_set_connect_timeout_ms(other_builder, 4000 + (uint64_t)index) == JP_OK, "%s: other",
              what);
        jp_client *other = build_client(other_builder);
        jp_client_builder_free(other_builder);
        CHECK(jp_provision(other, "admin", site, "premium", NULL, NULL) == JP_OK, "%s: warm-up provision", what);
        jp_client_free(other);
    }
    reset_stats();
    if (row->endpoint != NULL) {
        char rule[256];
        snprintf(rule, sizeof rule, "{\"endpoint\":\"%s\",%s}", row->endpoint, row->rule);
        fault(rule);
    }

    jp_response *r = NULL;
    long started = now_ms();
    jp_code code = row->op == PROVISION ? jp_provision(client, "admin", site, "premium", NULL, &r)
                                        : jp_status(client, site, &r);
    long elapsed = now_ms() - started;
    clear_faults();
    struct stats seen = read_stats();
    long op_seen = row->op == PROVISION ? seen.provision : seen.status;

    CHECK(r != NULL, "%s: no response", what);
    CHECK(code == row->code && jp_response_code(r) == row->code, "%s: code %u (%s: %s), want %u", what, code,
          str_or(jp_response_error_code(r)), str_or(jp_response_error_message(r)), row->code);
    CHECK(jp_response_ok(r) == (row->code == JP_OK), "%s: ok flag", what);
    if (row->error_code) {
        CHECK(jp_response_error_code(r) && strcmp(jp_response_error_code(r), row->error_code) == 0,
              "%s: error code %s, want %s (%s)", what, str_or(jp_response_error_code(r)), row->error_code,
              str_or(jp_response_error_message(r)));
        CHECK(jp_response_error_message(r) && *jp_response_error_message(r), "%s: no message", what);
        CHECK(!contains(jp_response_error_message(r), PARTNER_SECRET) && !contains(jp_response_error_message(r), "Bearer"),
              "%s: secret in message", what);
    } else {
        CHECK(jp_response_error_code(r) == NULL && jp_response_error_message(r) == NULL, "%s: error on success", what);
        CHECK(contains(jp_response_json(r), row->op == PROVISION ? "\"success\":true" : "\"slug\":\"premium\""),
              "%s: reply %s", what, str_or(jp_response_json(r)));
    }
    if (row->error_code && row->rule) {
        /* The server's error body when it was JSON (the fault's or the refused token's), else NULL. */
        const char *body = contains(row->rule, "\"kind\":\"status\"")  ? "\"error\":\"sandbox_fault\""
                           : contains(row->rule, "refuse_token") ? "\"error\":\"invalid_token\""
                                                                  : NULL;
        if (body)
            CHECK(contains(jp_response_json(r), body), "%s: error body %s", what, str_or(jp_response_json(r)));
        else
            CHECK(jp_response_json(r) == NULL, "%s: error body %s", what, str_or(jp_response_json(r)));
    }
    if (row->error_code && row->rule && contains(row->rule, "\"kind\":\"html\""))
        /* The status and a short excerpt of the page, its markup removed. */
        CHECK(contains(jp_response_error_message(r), "temporary error") && !contains(jp_response_error_message(r), "<") &&
                  strlen(jp_response_error_message(r)) < 600,
              "%s: message %s", what, str_or(jp_response_error_message(r)));
    if (row->message_part)
        CHECK(contains(jp_response_error_message(r), row->message_part), "%s: message %s lacks \"%s\"", what,
              str_or(jp_response_error_message(r)), row->message_part);
    CHECK(jp_response_http_status(r) == row->http_status, "%s: HTTP status %u, want %u", what,
          jp_response_http_status(r), row->http_status);
    uint32_t attempts = jp_response_attempts(r);
    CHECK(attempts >= row->attempts_min && attempts <= row->attempts_max, "%s: attempts %u, want %u..%u", what,
          attempts, row->attempts_min, row->attempts_max);
    if (row->endpoint == NULL) {
        CHECK(seen.total == 0, "%s: the sandbox saw %ld requests", what, seen.total);
    } else {
        CHECK(seen.token >= row->token_min && seen.token <= row->token_max, "%s: token requests %ld, want %ld..%ld",
              what, seen.token, row->token_min, row->token_max);
        CHECK(op_seen >= row->op_min && op_seen <= row->op_max, "%s: %s requests %ld, want %ld..%ld", what,
              row->op == PROVISION ? "provision" : "status", op_seen, row->op_min, row->op_max);
        CHECK(seen.total == seen.token + op_seen, "%s: %ld requests in all (token %ld, operation %ld)", what,
              seen.total, seen.token, op_seen);
        /* The attempts the client reports are the requests of the operation the sandbox saw. */
        if (strcmp(row->endpoint, "token") != 0)
            CHECK((long)attempts == op_seen, "%s: client reports %u attempts, the sandbox saw %ld", what, attempts,
                  op_seen);
    }
    if (row->timeout_ms)
        CHECK(elapsed <= (long)row->timeout_ms + MARGIN_MS, "%s: took %ld ms with a limit of %lu ms", what, elapsed,
              (unsigned long)row->timeout_ms);
    CHECK(elapsed >= row->min_elapsed_ms, "%s: took %ld ms, the server asked for a pause of %ld ms", what, elapsed,
          row->min_elapsed_ms);
    printf("%-52s %-20s attempts %u, sandbox saw token %ld + operation %ld, %ld ms; %.160s | %.80s\n", what,
           row->error_code ? row->error_code : "ok", attempts, seen.token, op_seen, elapsed,
           str_or(jp_response_error_message(r)), str_or(jp_response_json(r)));
    jp_response_free(r);
    jp_client_free(client);
}

/* The pause of a Retry-After is capped at 10 s: 30 asked, about 10 waited, then success. */
static void test_retry_after_cap(void) {
    jp_client_builder *builder = sandbox_builder();
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, 4999) == JP_OK, "connect limit");
    CHECK(jp_client_builder_set_timeout_ms(builder, 25000) == JP_OK, "limit");
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
    CHECK(jp_provision(client, "admin", "https://c-matrix-cap.example", "premium", NULL, NULL) == JP_OK, "warm-up");
    reset_stats();
    fault("{\"endpoint\":\"status\",\"kind\":\"status\",\"status\":429,\"retry_after\":30}");
    jp_response *r = NULL;
    long started = now_ms();
    jp_code code = jp_status(client, "https://c-matrix-cap.example", &r);
    long elapsed = now_ms() - started;
    clear_faults();
    struct stats seen = read_stats();
    CHECK(code == JP_OK && jp_response_attempts(r) == 2, "Retry-After 30: %u, %u attempts (%s)", code,
          jp_response_attempts(r), str_or(jp_response_error_message(r)));
    CHECK(seen.status == 2 && seen.token == 0, "Retry-After 30: sandbox saw status %ld, token %ld", seen.status,
          seen.token);
    CHECK(elapsed >= 9500 && elapsed <= 10000 + MARGIN_MS, "Retry-After 30: waited %ld ms, want about 10 s", elapsed);
    printf("%-52s %-20s attempts %u, sandbox saw token %ld + operation %ld, %ld ms\n",
           "status, 429 Retry-After 30 (capped at 10 s)", code == JP_OK ? "ok" : "error", jp_response_attempts(r),
           seen.token, seen.status, elapsed);
    jp_response_free(r);
    jp_client_free(client);
}

/* Connection refused after the token was obtained: the operation's own request provably never
   arrived, so provision (POST) and status (GET) are both repeated up to max_attempts, then
   transport_error saying nothing was sent. */
static int port_refuses(const char *url) {
    const char *colon = strrchr(url, ':');
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)(colon ? atoi(colon + 1) : 0));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int refused = connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0;
    close(fd);
    return refused;
}

/* Whether process `pid` runs (a zombie, waiting for run.sh to reap it, does not). */
static int is_running(pid_t pid) {
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *state = strrchr(stat, ')');
    return state != NULL && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static void test_refused_after_token(const char *doomed_url, pid_t doomed_pid) {
    jp_client *clients[2];
    for (int i = 0; i < 2; i++) {
        jp_client_builder *builder = NULL;
        CHECK(jp_client_builder_new(PARTNER_ID, PARTNER_SECRET, &builder) == JP_OK, "builder");
        CHECK(jp_client_builder_set_api_base(builder, doomed_url) == JP_OK, "api base %s", doomed_url);
        CHECK(jp_client_builder_set_connect_timeout_ms(builder, 3000 + (uint64_t)i) == JP_OK, "connect limit");
        clients[i] = build_client(builder);
        jp_client_builder_free(builder);
        jp_response *warm = NULL;
        CHECK(jp_provision(clients[i], "admin", "https://c-matrix-gone.example", "premium", NULL, &warm) == JP_OK,
              "provision while the server runs: %s", str_or(jp_response_error_message(warm)));
        jp_response_free(warm);
    }
    /* SIGKILL, not SIGTERM: a stopping sandbox closes its listener at once but keeps serving its open
       (kept-alive) connections for a moment; a killed one closes everything. */
    CHECK(kill(doomed_pid, SIGKILL) == 0, "stopping the second sandbox (pid %ld)", (long)doomed_pid);
    long until = now_ms() + 10000;
    while ((is_running(doomed_pid) || !port_refuses(doomed_url)) && now_ms() < until)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    CHECK(!is_running(doomed_pid) && port_refuses(doomed_url), "the second sandbox still runs");
    reset_stats();
    for (int i = 0; i < 2; i++) {
        const char *what = i == 0 ? "provision, connection refused after the token" :
                                    "status, connection refused after the token";
        jp_response *r = NULL;
        long started = now_ms();
        jp_code code = i == 0 ? jp_provision(clients[i], "admin", "https://c-matrix-gone.example", "premium", NULL, &r)
                              : jp_status(clients[i], "https://c-matrix-gone.example", &r);
        long elapsed = now_ms() - started;
        CHECK(code == JP_TRANSPORT_ERROR && jp_response_code(r) == JP_TRANSPORT_ERROR, "%s: code %u (%s)", what, code,
              str_or(jp_response_error_message(r)));
        CHECK(jp_response_error_code(r) && strcmp(jp_response_error_code(r), "transport_error") == 0,
              "%s: error code %s", what, str_or(jp_response_error_code(r)));
        CHECK(contains(jp_response_error_message(r), "nothing was sent"), "%s: message %s", what,
              str_or(jp_response_error_message(r)));
        CHECK(jp_response_attempts(r) == 3 && jp_response_http_status(r) == 0, "%s: attempts %u, HTTP %u", what,
              jp_response_attempts(r), jp_response_http_status(r));
        CHECK(elapsed < 20000, "%s: took %ld ms", what, elapsed);
        printf("%-52s %-20s attempts %u, nothing listening, %ld ms\n", what, str_or(jp_response_error_code(r)),
               jp_response_attempts(r), elapsed);
        jp_response_free(r);
        jp_client_free(clients[i]);
    }
    CHECK(read_stats().total == 0, "the first sandbox saw requests");
}

/* ==== the bad-input table ==== */

enum entry { PROVISION_CALL, CANCEL_CALL, KEY_CALL, STATUS_CALL, IDENTIFIER_CALL };

struct bad_row {
    const char *name;
    enum entry entry;
    int null_client;
    /* provision: local_user, siteurl, plan, options; cancel: site, options; key: name, options;
       status and jp_site_identifier: site. */
    const char *a, *b, *c, *d;
    const char *prefix; /* the message starts with this */
};

static jp_code call_row(jp_client *client, const struct bad_row *row, jp_response **r) {
    const jp_client *c = row->null_client ? NULL : client;
    switch (row->entry) {
    case PROVISION_CALL:
        return jp_provision(c, row->a, row->b, row->c, row->d, r);
    case CANCEL_CALL:
        return jp_cancel(c, row->a, row->b, r);
    case KEY_CALL:
        return jp_partner_key_new(c, row->a, row->b, r);
    case STATUS_CALL:
        return jp_status(c, row->a, r);
    case IDENTIFIER_CALL:
    default:
        break;
    }
    return JP_INTERNAL;
}

#define SITE "https://c-bad.example.com"

static void test_bad_input(void) {
    /* 1 MiB strings. */
    char *big = malloc(MIB + 1);
    memset(big, 'a', MIB);
    big[MIB] = '\0';
    char *big_url = malloc(MIB + 1);
    memcpy(big_url, "https://", 8);
    memset(big_url + 8, 'a', MIB - 8 - 8);
    memcpy(big_url + MIB - 8, ".example", 9);
    char *big_option = malloc(MIB + 64);
    snprintf(big_option, MIB + 64, "{\"partner_tracking_id\":\"%s\"}", big);
    char *big_notes = malloc(MIB + 64);
    snprintf(big_notes, MIB + 64, "{\"notes\":\"%s\"}", big);
    char long_plan[80];
    memset(long_plan, 'p', 65);
    long_plan[65] = '\0';

    const struct bad_row rows[] = {
        /* NULL pointers. */
        {"provision: NULL client", PROVISION_CALL, 1, "admin", SITE, NULL, NULL, "client: "},
        {"provision: NULL local_user", PROVISION_CALL, 0, NULL, SITE, NULL, NULL, "local_user: "},
        {"provision: NULL siteurl", PROVISION_CALL, 0, "admin", NULL, NULL, NULL, "siteurl: "},
        {"cancel: NULL client", CANCEL_CALL, 1, SITE, NULL, NULL, NULL, "client: "},
        {"cancel: NULL site", CANCEL_CALL, 0, NULL, NULL, NULL, NULL, "site: "},
        {"partner_key_new: NULL client", KEY_CALL, 1, "k", NULL, NULL, NULL, "client: "},
        {"partner_key_new: NULL name", KEY_CALL, 0, NULL, NULL, NULL, NULL, "name: "},
        {"status: NULL client", STATUS_CALL, 1, SITE, NULL, NULL, NULL, "client: "},
        {"status: NULL site", STATUS_CALL, 0, NULL, NULL, NULL, NULL, "site: "},
        /* Invalid UTF-8. */
        {"provision: local_user not UTF-8", PROVISION_CALL, 0, "ad" BAD_UTF8, SITE, NULL, NULL,
         "local_user: is not valid UTF-8"},
        {"provision: siteurl not UTF-8", PROVISION_CALL, 0, "admin", "https://" BAD_UTF8 ".example", NULL, NULL,
         "siteurl: is not valid UTF-8"},
        {"provision: plan not UTF-8", PROVISION_CALL, 0, "admin", SITE, "premium" BAD_UTF8, NULL,
         "plan: is not valid UTF-8"},
        {"provision: options_json not UTF-8", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"ssh_user\":\"" BAD_UTF8 "\"}",
         "options_json: is not valid UTF-8"},
        {"cancel: site not UTF-8", CANCEL_CALL, 0, BAD_UTF8, NULL, NULL, NULL, "site: is not valid UTF-8"},
        {"cancel: options_json not UTF-8", CANCEL_CALL, 0, SITE, BAD_UTF8, NULL, NULL,
         "options_json: is not valid UTF-8"},
        {"partner_key_new: name not UTF-8", KEY_CALL, 0, BAD_UTF8, NULL, NULL, NULL, "name: is not valid UTF-8"},
        {"partner_key_new: options_json not UTF-8", KEY_CALL, 0, "k", BAD_UTF8, NULL, NULL,
         "options_json: is not valid UTF-8"},
        {"status: site not UTF-8", STATUS_CALL, 0, BAD_UTF8, NULL, NULL, NULL, "site: is not valid UTF-8"},
        /* Empty strings. */
        {"provision: empty local_user", PROVISION_CALL, 0, "", SITE, NULL, NULL, "local_user: "},
        {"provision: blank local_user", PROVISION_CALL, 0, "   ", SITE, NULL, NULL, "local_user: "},
        {"provision: empty siteurl", PROVISION_CALL, 0, "admin", "", NULL, NULL, "siteurl: "},
        {"provision: empty plan", PROVISION_CALL, 0, "admin", SITE, "", NULL, "plan: "},
        {"cancel: empty site", CANCEL_CALL, 0, "", NULL, NULL, NULL, "site: "},
        {"partner_key_new: empty name", KEY_CALL, 0, "", NULL, NULL, NULL, "name: "},
        {"status: empty site", STATUS_CALL, 0, "", NULL, NULL, NULL, "site: "},
        /* 1 MiB strings. */
        {"provision: 1 MiB local_user", PROVISION_CALL, 0, big, SITE, NULL, NULL, "local_user: "},
        {"provision: 1 MiB siteurl", PROVISION_CALL, 0, "admin", big_url, NULL, NULL, "siteurl: "},
        {"provision: 1 MiB plan", PROVISION_CALL, 0, "admin", SITE, big, NULL, "plan: "},
        {"provision: 1 MiB partner_tracking_id", PROVISION_CALL, 0, "admin", SITE, NULL, big_option,
         "partner_tracking_id: "},
        {"cancel: 1 MiB site", CANCEL_CALL, 0, big_url, NULL, NULL, NULL, "site: "},
        {"partner_key_new: 1 MiB name", KEY_CALL, 0, big, NULL, NULL, NULL, "name: "},
        {"partner_key_new: 1 MiB notes", KEY_CALL, 0, "k", big_notes, NULL, NULL, "notes: "},
        {"status: 1 MiB site", STATUS_CALL, 0, big, NULL, NULL, NULL, "site: "},
        /* CR/LF (header injection) and NUL. */
        {"provision: CR/LF in local_user", PROVISION_CALL, 0, "admin\r\nX-Injected: 1", SITE, NULL, NULL,
         "local_user: "},
        {"provision: CR/LF in siteurl", PROVISION_CALL, 0, "admin", SITE "/\r\nX-Injected: 1", NULL, NULL,
         "siteurl: "},
        {"provision: CR/LF in plan", PROVISION_CALL, 0, "admin", SITE, "premium\r\n", NULL, "plan: "},
        {"provision: CR/LF in ssh_user", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"ssh_user\":\"u\\r\\nX: 1\"}",
         "ssh_user: "},
        {"provision: NUL (\\u0000) in ssh_pass", PROVISION_CALL, 0, "admin", SITE, NULL,
         "{\"ssh_pass\":\"p\\u0000w\"}", "ssh_pass: "},
        {"provision: NUL-truncated siteurl (\"https://\\0example.com\")", PROVISION_CALL, 0, "admin",
         "https://\0example.com", NULL, NULL, "siteurl: "},
        {"provision: NUL-truncated local_user (\"\\0admin\")", PROVISION_CALL, 0, "\0admin", SITE, NULL, NULL,
         "local_user: "},
        {"cancel: CR/LF in site", CANCEL_CALL, 0, "c-bad.example.com\r\nX: 1", NULL, NULL, NULL, "site: "},
        {"cancel: NUL (\\u0000) in plan", CANCEL_CALL, 0, SITE, "{\"plan\":\"premium\\u0000\"}", NULL, NULL, "plan: "},
        {"partner_key_new: CR/LF in name", KEY_CALL, 0, "key\r\nX: 1", NULL, NULL, NULL, "name: "},
        {"partner_key_new: NUL (\\u0000) in notes", KEY_CALL, 0, "k", "{\"notes\":\"a\\u0000b\"}", NULL, NULL,
         "notes: "},
        {"status: CR/LF in site", STATUS_CALL, 0, SITE "\r\n", NULL, NULL, NULL, "site: "},
        {"status: NUL-truncated site (\"\\0c-bad.example.com\")", STATUS_CALL, 0, "\0c-bad.example.com", NULL, NULL,
         NULL, "site: "},
        /* Site URLs. */
        {"provision: user-info", PROVISION_CALL, 0, "admin", "https://user:pw@c-bad.example.com", NULL, NULL,
         "siteurl: "},
        {"provision: fragment", PROVISION_CALL, 0, "admin", SITE "/#top", NULL, NULL, "siteurl: "},
        {"provision: javascript:", PROVISION_CALL, 0, "admin", "javascript:alert(1)", NULL, NULL, "siteurl: "},
        {"provision: javascript:// ", PROVISION_CALL, 0, "admin", "javascript://c-bad.example.com/%0aalert(1)", NULL,
         NULL, "siteurl: "},
        {"provision: no host (https://)", PROVISION_CALL, 0, "admin", "https://", NULL, NULL, "siteurl: "},
        {"provision: no host (https:///path)", PROVISION_CALL, 0, "admin", "https:///path", NULL, NULL, "siteurl: "},
        {"provision: no host (http://:8080)", PROVISION_CALL, 0, "admin", "http://:8080", NULL, NULL, "siteurl: "},
        {"provision: mailto:", PROVISION_CALL, 0, "admin", "mailto:admin@c-bad.example.com", NULL, NULL, "siteurl: "},
        {"provision: IDN with a disallowed character", PROVISION_CALL, 0, "admin", "https://\xef\xbf\xbd.example", NULL, NULL,
         "siteurl: "},
        {"cancel: user-info", CANCEL_CALL, 0, "https://user:pw@c-bad.example.com", NULL, NULL, NULL, "site: "},
        {"cancel: fragment", CANCEL_CALL, 0, SITE "/#top", NULL, NULL, NULL, "site: "},
        {"cancel: javascript:", CANCEL_CALL, 0, "javascript:alert(1)", NULL, NULL, NULL, "site: "},
        {"status: user-info", STATUS_CALL, 0, "https://user:pw@c-bad.example.com", NULL, NULL, NULL, "site: "},
        {"status: user-info without scheme", STATUS_CALL, 0, "user@c-bad.example.com", NULL, NULL, NULL, "site: "},
        {"status: fragment", STATUS_CALL, 0, SITE "/#top", NULL, NULL, NULL, "site: "},
        {"status: javascript:", STATUS_CALL, 0, "javascript:alert(1)", NULL, NULL, NULL, "site: "},
        {"status: no host (https://)", STATUS_CALL, 0, "https://", NULL, NULL, NULL, "site: "},
        {"status: no host (https:///path)", STATUS_CALL, 0, "https:///path", NULL, NULL, NULL, "site: "},
        {"status: host of digits", STATUS_CALL, 0, "https://12345", NULL, NULL, NULL, "site: "},
        {"status: IDN with a disallowed character", STATUS_CALL, 0, "https://\xef\xbf\xbd.example", NULL, NULL, NULL, "site: "},
        /* Plan slugs. */
        {"provision: plan with capitals", PROVISION_CALL, 0, "admin", SITE, "Premium", NULL, "plan: "},
        {"provision: plan with a space", PROVISION_CALL, 0, "admin", SITE, "premium plan", NULL, "plan: "},
        {"provision: plan starting with '-'", PROVISION_CALL, 0, "admin", SITE, "-premium", NULL, "plan: "},
        {"provision: plan with punctuation", PROVISION_CALL, 0, "admin", SITE, "premium!", NULL, "plan: "},
        {"provision: plan of 65 bytes", PROVISION_CALL, 0, "admin", SITE, long_plan, NULL, "plan: "},
        {"provision: plan with a path", PROVISION_CALL, 0, "admin", SITE, "../premium", NULL, "plan: "},
        {"cancel: plan with capitals", CANCEL_CALL, 0, SITE, "{\"plan\":\"PREMIUM\"}", NULL, NULL, "plan: "},
        {"cancel: plan not a string", CANCEL_CALL, 0, SITE, "{\"plan\":7}", NULL, NULL, "plan: "},
        /* Counts. */
        {"partner_key_new: negative count", KEY_CALL, 0, "k", "{\"allowed_premium_plans\":-1}", NULL, NULL,
         "allowed_premium_plans: "},
        {"partner_key_new: negative count as text", KEY_CALL, 0, "k", "{\"allowed_personal_plans\":\"-5\"}", NULL,
         NULL, "allowed_personal_plans: "},
        {"partner_key_new: non-numeric count", KEY_CALL, 0, "k", "{\"allowed_professional_plans\":\"ten\"}", NULL,
         NULL, "allowed_professional_plans: "},
        {"partner_key_new: fractional count", KEY_CALL, 0, "k", "{\"allowed_premium_plans\":1.5}", NULL, NULL,
         "allowed_premium_plans: "},
        {"partner_key_new: boolean count", KEY_CALL, 0, "k", "{\"allowed_premium_plans\":true}", NULL, NULL,
         "allowed_premium_plans: "},
        {"partner_key_new: huge count", KEY_CALL, 0, "k", "{\"allowed_premium_plans\":1e30}", NULL, NULL,
         "allowed_premium_plans: "},
        {"partner_key_new: count beyond u64", KEY_CALL, 0, "k", "{\"allowed_premium_plans\":\"99999999999999999999\"}",
         NULL, NULL, "allowed_premium_plans: "},
        {"partner_key_new: count as an array", KEY_CALL, 0, "k", "{\"allowed_personal_plans\":[1]}", NULL, NULL,
         "allowed_personal_plans: "},
        {"provision: negative wpcom_user_id", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"wpcom_user_id\":-3}",
         "wpcom_user_id: "},
        {"provision: ssh_port 0", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"ssh_port\":0}", "ssh_port: "},
        {"provision: ssh_port 70000", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"ssh_port\":70000}", "ssh_port: "},
        {"provision: non-numeric ftp_port", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"ftp_port\":\"ftp\"}",
         "ftp_port: "},
        /* Options that are not a JSON object of known names. */
        {"provision: options_json not JSON", PROVISION_CALL, 0, "admin", SITE, NULL, "{", "options_json: "},
        {"provision: options_json an array", PROVISION_CALL, 0, "admin", SITE, NULL, "[1]", "options_json: "},
        {"provision: unknown option", PROVISION_CALL, 0, "admin", SITE, NULL, "{\"force\":true}", "force: "},
        {"cancel: unknown option", CANCEL_CALL, 0, SITE, "{\"cancelall\":true}", NULL, NULL, "cancelall: "},
        {"cancel: cancel_all not a boolean", CANCEL_CALL, 0, SITE, "{\"cancel_all\":\"perhaps\"}", NULL, NULL,
         "cancel_all: "},
        {"partner_key_new: unknown option", KEY_CALL, 0, "k", "{\"allowed_free_plans\":1}", NULL, NULL,
         "allowed_free_plans: "},
    };

    jp_client *client = new_client();
    int rows_run = 0;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct bad_row *row = &rows[i];
        reset_stats();
        jp_response *r = (jp_response *)0x1;
        jp_code code = call_row(client, row, &r);
        CHECK(code == JP_INVALID_ARGUMENT, "%s: code %u (%s)", row->name, code,
              r && r != (jp_response *)0x1 ? str_or(jp_response_error_message(r)) : "-");
        CHECK(r != NULL && r != (jp_response *)0x1, "%s: no response", row->name);
        if (r == (jp_response *)0x1) r = NULL;
        CHECK(jp_response_code(r) == JP_INVALID_ARGUMENT && !jp_response_ok(r), "%s: response code %u", row->name,
              jp_response_code(r));
        CHECK(jp_response_error_code(r) && strcmp(jp_response_error_code(r), "invalid_argument") == 0,
              "%s: error code %s", row->name, str_or(jp_response_error_code(r)));
        CHECK(starts_with(jp_response_error_message(r), row->prefix), "%s: message \"%.200s\", want \"%s...\"",
              row->name, str_or(jp_response_error_message(r)), row->prefix);
        CHECK(jp_response_error_message(r) == NULL || strlen(jp_response_error_message(r)) < 1024,
              "%s: message of %zu bytes", row->name, strlen(jp_response_error_message(r)));
        CHECK(jp_response_http_status(r) == 0 && jp_response_attempts(r) == 0 && jp_response_json(r) == NULL,
              "%s: http %u, attempts %u", row->name, jp_response_http_status(r), jp_response_attempts(r));
        jp_response_free(r);
        /* out NULL: the same code. */
        jp_code again = row->entry == PROVISION_CALL ? jp_provision(row->null_client ? NULL : client, row->a, row->b,
                                                                    row->c, row->d, NULL)
                        : row->entry == CANCEL_CALL ? jp_cancel(row->null_client ? NULL : client, row->a, row->b, NULL)
                        : row->entry == KEY_CALL    ? jp_partner_key_new(row->null_client ? NULL : client, row->a,
                                                                         row->b, NULL)
                                                    : jp_status(row->null_client ? NULL : client, row->a, NULL);
        CHECK(again == JP_INVALID_ARGUMENT, "%s: without out: %u", row->name, again);
        struct stats seen = read_stats();
        CHECK(seen.total == 0, "%s: the sandbox saw %ld requests", row->name, seen.total);
        rows_run++;
    }
    printf("bad-input table: %d rows through jp_provision, jp_cancel, jp_partner_key_new, jp_status\n", rows_run);

    /* The same bad sites through the other entry points that take a site or a site URL. */
    const char *bad_sites_wire[] = {NULL, "", BAD_UTF8, "https://user:pw@c-bad.example.com", SITE "/#top",
                                    "javascript:alert(1)", "https://", "https:///path", SITE "\r\nX: 1",
                                    "\0" SITE, big_url, "https://\xef\xbf\xbd.example"};
    const char *entry_names[] = {"jp_status_v12", "jp_upgrade_paths", "jp_license_attach", "jp_site_connection"};
    int more = 0;
    for (size_t e = 0; e < 4; e++) {
        for (size_t i = 0; i < sizeof bad_sites_wire / sizeof *bad_sites_wire; i++) {
            const char *site = bad_sites_wire[i];
            reset_stats();
            jp_response *r = NULL;
            jp_code code = e == 0   ? jp_status_v12(client, site, &r)
                           : e == 1 ? jp_upgrade_paths(client, site, &r)
                           : e == 2 ? jp_license_attach(client, "jetpack-backup-daily_c0ffee", site, &r)
                                    : jp_site_connection(client, site, "admin", &r);
            const char *prefix = e == 3 ? "url: " : "site: ";
            CHECK(code == JP_INVALID_ARGUMENT && jp_response_code(r) == JP_INVALID_ARGUMENT, "%s row %zu: code %u",
                  entry_names[e], i, code);
            CHECK(starts_with(jp_response_error_message(r), prefix) &&
                      strcmp(str_or(jp_response_error_code(r)), "invalid_argument") == 0,
                  "%s row %zu: %s: %.200s", entry_names[e], i, str_or(jp_response_error_code(r)),
                  str_or(jp_response_error_message(r)));
            CHECK(jp_response_attempts(r) == 0 && jp_response_http_status(r) == 0, "%s row %zu: sent", entry_names[e],
                  i);
            jp_response_free(r);
            struct stats seen = read_stats();
            CHECK(seen.total == 0, "%s row %zu: the sandbox saw %ld requests", entry_names[e], i, seen.total);
            more++;
        }
    }
    printf("bad-input table: %d more rows through jp_status_v12, jp_upgrade_paths, jp_license_attach, "
           "jp_site_connection\n", more);

    /* The same site values through jp_site_identifier (no network). */
    const char *bad_sites[] = {"", BAD_UTF8, "https://user:pw@c-bad.example.com", SITE "/#top",
                               "javascript:alert(1)", "https://", "https://12345", SITE "\r\n", big,
                               "https://\xef\xbf\xbd.example"};
    for (size_t i = 0; i < sizeof bad_sites / sizeof *bad_sites; i++) {
        char *id = (char *)0x1;
        CHECK(jp_site_identifier(bad_sites[i], &id) == JP_INVALID_ARGUMENT && id == NULL,
              "jp_site_identifier row %zu accepted", i);
        CHECK(starts_with(jp_last_error_message(), "site: "), "jp_site_identifier row %zu: %s", i,
              str_or(jp_last_error_message()));
    }

    jp_client_free(client);
    free(big);
    free(big_url);
    free(big_option);
    free(big_notes);
}

/* An internationalised domain name reaches the sandbox as Punycode, in provision and in status. */
static void test_idn(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    const char *idn = "https://b\xc3\xbc" "cher.example";
    reset_stats();
    CHECK(jp_provision(client, "admin", idn, "premium", NULL, &r) == JP_OK, "IDN provision: %s",
          str_or(jp_response_error_message(r)));
    long blog_id = json_number(jp_response_json(r), "blog_id");
    jp_response_free(r);

    /* A fault scoped to the Punycode name: only a status whose path carries it meets the fault. */
    fault("{\"endpoint\":\"status\",\"site\":\"xn--bcher-kva.example\",\"kind\":\"status\",\"status\":418}");
    CHECK(jp_status(client, idn, &r) == JP_API_ERROR, "IDN status meets the fault: %s",
          str_or(jp_response_error_message(r)));
    CHECK(jp_response_http_status(r) == 418 && contains(jp_response_json(r), "sandbox_fault"),
          "IDN status: %u %s", jp_response_http_status(r), str_or(jp_response_json(r)));
    jp_response_free(r);
    clear_faults();

    /* Upper case and a trailing dot and slash: the same site. */
    CHECK(jp_status(client, "https://B\xc3\x9c" "CHER.example./", &r) == JP_OK, "IDN status: %s",
          str_or(jp_response_error_message(r)));
    long by_idn = json_number(jp_response_json(r), "blog_id");
    jp_response_free(r);
    CHECK(jp_status(client, "xn--bcher-kva.example", &r) == JP_OK, "Punycode status: %s",
          str_or(jp_response_error_message(r)));
    long by_punycode = json_number(jp_response_json(r), "blog_id");
    jp_response_free(r);
    CHECK(by_idn > 0 && by_idn == by_punycode && (blog_id < 0 || blog_id == by_idn),
          "IDN and Punycode name other sites: %ld, %ld, provision %ld", by_idn, by_punycode, blog_id);
    struct stats seen = read_stats();
    CHECK(seen.provision == 1 && seen.status == 3, "IDN: sandbox saw provision %ld, status %ld", seen.provision,
          seen.status);
    char *id = NULL;
    CHECK(jp_site_identifier(idn, &id) == JP_OK && id && strcmp(id, "xn--bcher-kva.example") == 0, "identifier %s",
          str_or(id));
    jp_string_free(id);
    printf("IDN: %s reached the sandbox as xn--bcher-kva.example (blog %ld)\n", idn, by_idn);
    jp_client_free(client);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SANDBOX_URL DOOMED_URL DOOMED_PID\n", argv[0]);
        return 2;
    }
    sandbox_url = argv[1];
    const char *colon = strrchr(sandbox_url, ':');
    sandbox_port = colon ? atoi(colon + 1) : 0;

    int rows = (int)(sizeof FAULT_ROWS / sizeof *FAULT_ROWS);
    for (int i = 0; i < rows; i++) run_fault_row(&FAULT_ROWS[i], i);
    test_refused_after_token(argv[2], (pid_t)atol(argv[3]));
    test_retry_after_cap();
    printf("fault matrix: %d rows\n", rows + 3);
    test_bad_input();
    test_idn();
    clear_faults();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
