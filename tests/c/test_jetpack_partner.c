/*
 * C test of libjetpack_partner: every exported function, every error path, against a running sandbox.
 *
 *   test_jetpack_partner SANDBOX_URL CA_PEM NOT_PEM
 *
 * SANDBOX_URL is http://127.0.0.1:PORT of a jetpack-partner-sandbox with the demo partner
 * (12345 / sandbox-demo-secret); CA_PEM a PEM certificate file; NOT_PEM a file that is not PEM.
 * Prints each failure, then "N passed, M failed"; exits 0 only when nothing failed.
 * Run under valgrind by tests/c/run.sh.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jetpack_partner.h"

#define PARTNER_ID "12345"
#define PARTNER_SECRET "sandbox-demo-secret"
#define BAD_UTF8 "\xff\xfe"

static int passed;
static int failed;
static const char *sandbox_url;
static int sandbox_port;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static const char *str_or(const char *s) { return s ? s : "(null)"; }

static int starts_with(const char *s, const char *prefix) {
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int contains(const char *s, const char *needle) { return s != NULL && strstr(s, needle) != NULL; }

/* ---- a minimal HTTP client for the sandbox's control endpoints ---- */

/* Sends one request to the sandbox and returns the reply body (malloc'd), or NULL. */
static char *control(const char *method, const char *path, const char *body) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)sandbox_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return NULL;
    }
    size_t body_len = body ? strlen(body) : 0;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     method, path, body_len);
    if (write(fd, head, (size_t)n) != n || (body_len && write(fd, body, body_len) != (ssize_t)body_len)) {
        close(fd);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *start = strstr(buf, "\r\n\r\n");
    char *out = strdup(start ? start + 4 : "");
    free(buf);
    return out;
}

static void fault(const char *rule_json) {
    char *reply = control("POST", "/__sandbox/faults", rule_json);
    CHECK(contains(reply, "\"ok\":true"), "fault %s -> %s", rule_json, str_or(reply));
    free(reply);
}

static void clear_faults(void) { free(control("DELETE", "/__sandbox/faults", NULL)); }

static void reset_stats(void) { free(control("POST", "/__sandbox/stats/reset", "")); }

/* Requests the sandbox counted for one endpoint since the last reset. */
static long stat_count(const char *endpoint) {
    char *reply = control("GET", "/__sandbox/stats", NULL);
    long value = 0;
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", endpoint);
    const char *requests = reply ? strstr(reply, "\"requests\"") : NULL;
    const char *at = requests ? strstr(requests, key) : NULL;
    if (at) value = strtol(at + strlen(key), NULL, 10);
    free(reply);
    return value;
}

/* ---- helpers ---- */

static jp_client *new_client(void) {
    jp_client *client = NULL;
    jp_code code = jp_client_new(PARTNER_ID, PARTNER_SECRET, &client);
    CHECK(code == JP_OK && client != NULL, "jp_client_new: %u %s", code, str_or(jp_last_error_message()));
    code = jp_client_set_api_base(client, sandbox_url);
    CHECK(code == JP_OK, "set_api_base: %s", str_or(jp_last_error_message()));
    return client;
}

/* Checks a failed response: its code, error code and the start of its message. */
static void expect_error(jp_response *r, jp_code code, const char *error_code, const char *message_prefix,
                         const char *what) {
    CHECK(r != NULL, "%s: no response", what);
    if (r == NULL) return;
    CHECK(jp_response_code(r) == code, "%s: code %u, want %u (%s: %s)", what, jp_response_code(r), code,
          str_or(jp_response_error_code(r)), str_or(jp_response_error_message(r)));
    CHECK(!jp_response_ok(r), "%s: ok", what);
    CHECK(jp_response_error_code(r) && strcmp(jp_response_error_code(r), error_code) == 0, "%s: error code %s",
          what, str_or(jp_response_error_code(r)));
    if (message_prefix)
        CHECK(starts_with(jp_response_error_message(r), message_prefix), "%s: message %s", what,
              str_or(jp_response_error_message(r)));
    CHECK(!contains(jp_response_error_message(r), PARTNER_SECRET), "%s: secret in message", what);
}

static void expect_ok(jp_response *r, const char *json_fragment, const char *what) {
    CHECK(r != NULL, "%s: no response", what);
    if (r == NULL) return;
    CHECK(jp_response_code(r) == JP_OK, "%s: code %u (%s: %s)", what, jp_response_code(r),
          str_or(jp_response_error_code(r)), str_or(jp_response_error_message(r)));
    CHECK(jp_response_ok(r), "%s: not ok", what);
    CHECK(jp_response_http_status(r) == 200, "%s: status %u", what, jp_response_http_status(r));
    CHECK(jp_response_error_code(r) == NULL, "%s: error code on success", what);
    CHECK(jp_response_error_message(r) == NULL, "%s: error message on success", what);
    CHECK(jp_response_attempts(r) >= 1, "%s: attempts %u", what, jp_response_attempts(r));
    if (json_fragment)
        CHECK(contains(jp_response_json(r), json_fragment), "%s: json %s", what, str_or(jp_response_json(r)));
}

/* ---- tests ---- */

static void test_version(void) {
    CHECK(strcmp(jp_version(), JP_VERSION) == 0, "jp_version %s vs %s", jp_version(), JP_VERSION);
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", JP_VERSION_MAJOR, JP_VERSION_MINOR, JP_VERSION_PATCH);
    CHECK(strcmp(expected, JP_VERSION) == 0, "version macros %s vs %s", expected, JP_VERSION);
    CHECK(JP_OK == 0 && JP_INVALID_ARGUMENT == 1 && JP_API_ERROR == 2 && JP_TRANSPORT_ERROR == 3 &&
              JP_TIMEOUT == 4 && JP_TLS_ERROR == 5 && JP_INVALID_RESPONSE == 6 && JP_RESPONSE_TOO_LARGE == 7 &&
              JP_OUTCOME_UNKNOWN == 8 && JP_TOKEN_ERROR == 9 && JP_INTERNAL == 10,
          "code numbers changed");
}

static void test_client_new(void) {
    jp_client *client = (jp_client *)0x1;
    CHECK(jp_client_new(NULL, PARTNER_SECRET, &client) == JP_INVALID_ARGUMENT, "NULL id");
    CHECK(client == NULL, "out not cleared on failure");
    /* The message alone, as jp_response_error_message: the field's name first, no code prefix. */
    CHECK(starts_with(jp_last_error_message(), "partner_id: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_new(PARTNER_ID, NULL, &client) == JP_INVALID_ARGUMENT, "NULL secret");
    CHECK(contains(jp_last_error_message(), "partner_secret: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_new(PARTNER_ID, PARTNER_SECRET, NULL) == JP_INVALID_ARGUMENT, "NULL out");
    CHECK(contains(jp_last_error_message(), "out: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_new(BAD_UTF8, PARTNER_SECRET, &client) == JP_INVALID_ARGUMENT, "bad UTF-8 id");
    CHECK(contains(jp_last_error_message(), "partner_id: is not valid UTF-8"), "%s",
          str_or(jp_last_error_message()));
    CHECK(jp_client_new(PARTNER_ID, BAD_UTF8, &client) == JP_INVALID_ARGUMENT, "bad UTF-8 secret");
    CHECK(jp_client_new("", PARTNER_SECRET, &client) == JP_INVALID_ARGUMENT, "empty id");
    CHECK(jp_client_new(PARTNER_ID, "", &client) == JP_INVALID_ARGUMENT, "empty secret");
    CHECK(jp_client_new(PARTNER_ID, "sec\nret", &client) == JP_INVALID_ARGUMENT, "control char in secret");
    CHECK(!contains(jp_last_error_message(), "sec\nret"), "secret echoed: %s", str_or(jp_last_error_message()));
    CHECK(jp_client_new(PARTNER_ID, PARTNER_SECRET, &client) == JP_OK && client != NULL, "valid");
    CHECK(jp_last_error_message() == NULL, "last error after success: %s", str_or(jp_last_error_message()));
    jp_client_free(client);
    jp_client_free(NULL);
}

static void test_setters(const char *ca_pem, const char *not_pem) {
    /* NULL client for every setter. */
    CHECK(jp_client_set_api_base(NULL, sandbox_url) == JP_INVALID_ARGUMENT, "api_base NULL client");
    CHECK(contains(jp_last_error_message(), "client: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_timeout_ms(NULL, 1000) == JP_INVALID_ARGUMENT, "timeout NULL client");
    CHECK(jp_client_set_connect_timeout_ms(NULL, 1000) == JP_INVALID_ARGUMENT, "connect NULL client");
    CHECK(jp_client_set_proxy(NULL, NULL) == JP_INVALID_ARGUMENT, "proxy NULL client");
    CHECK(jp_client_set_ca_bundle(NULL, NULL) == JP_INVALID_ARGUMENT, "ca NULL client");
    CHECK(jp_client_set_max_attempts(NULL, 3) == JP_INVALID_ARGUMENT, "attempts NULL client");
    CHECK(jp_client_set_max_response_bytes(NULL, 1000) == JP_INVALID_ARGUMENT, "bytes NULL client");

    jp_client *client = new_client();
    CHECK(jp_client_set_api_base(client, NULL) == JP_INVALID_ARGUMENT, "api_base NULL");
    CHECK(contains(jp_last_error_message(), "url: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_api_base(client, BAD_UTF8) == JP_INVALID_ARGUMENT, "api_base bad UTF-8");
    CHECK(jp_client_set_api_base(client, "http://example.com") == JP_INVALID_ARGUMENT, "plain http remote");
    CHECK(contains(jp_last_error_message(), "api_base: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_api_base(client, "ftp://127.0.0.1") == JP_INVALID_ARGUMENT, "ftp");
    CHECK(jp_client_set_api_base(client, "https://public-api.wordpress.com") == JP_OK, "https remote");
    CHECK(jp_last_error_message() == NULL, "last error cleared");
    CHECK(jp_client_set_timeout_ms(client, 0) == JP_INVALID_ARGUMENT, "timeout 0");
    CHECK(contains(jp_last_error_message(), "timeout: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_timeout_ms(client, UINT64_MAX) == JP_INVALID_ARGUMENT, "timeout max");
    CHECK(jp_client_set_timeout_ms(client, 30000) == JP_OK, "timeout");
    CHECK(jp_client_set_connect_timeout_ms(client, 0) == JP_INVALID_ARGUMENT, "connect 0");
    CHECK(jp_client_set_connect_timeout_ms(client, UINT64_MAX) == JP_INVALID_ARGUMENT, "connect max");
    CHECK(jp_client_set_connect_timeout_ms(client, 5000) == JP_OK, "connect");
    CHECK(jp_client_set_proxy(client, "socks5://127.0.0.1:1080") == JP_INVALID_ARGUMENT, "socks proxy");
    CHECK(contains(jp_last_error_message(), "proxy: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_proxy(client, BAD_UTF8) == JP_INVALID_ARGUMENT, "proxy bad UTF-8");
    CHECK(jp_client_set_proxy(client, "http://user:pw@127.0.0.1:3128") == JP_OK, "proxy");
    CHECK(jp_client_set_proxy(client, NULL) == JP_OK, "proxy cleared");
    CHECK(jp_client_set_proxy(client, "") == JP_OK, "proxy cleared by empty string");
    CHECK(jp_client_set_ca_bundle(client, "/nonexistent/ca.pem") == JP_INVALID_ARGUMENT, "missing CA file");
    CHECK(contains(jp_last_error_message(), "ca_bundle: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_ca_bundle(client, not_pem) == JP_INVALID_ARGUMENT, "not PEM");
    CHECK(jp_client_set_ca_bundle(client, ca_pem) == JP_OK, "CA file: %s", str_or(jp_last_error_message()));
    CHECK(jp_client_set_ca_bundle(client, NULL) == JP_OK, "CA cleared");
    CHECK(jp_client_set_max_attempts(client, 0) == JP_INVALID_ARGUMENT, "attempts 0");
    CHECK(jp_client_set_max_attempts(client, 11) == JP_INVALID_ARGUMENT, "attempts 11");
    CHECK(jp_client_set_max_attempts(client, 4) == JP_OK, "attempts 4");
    CHECK(jp_client_set_max_response_bytes(client, 0) == JP_INVALID_ARGUMENT, "bytes 0");
    CHECK(jp_client_set_max_response_bytes(client, UINT64_MAX) == JP_INVALID_ARGUMENT, "bytes max");
    CHECK(jp_client_set_max_response_bytes(client, 4096) == JP_OK, "bytes");
    jp_client_free(client);
}

static void test_null_response(void) {
    CHECK(jp_response_code(NULL) == JP_INVALID_ARGUMENT, "code(NULL)");
    CHECK(!jp_response_ok(NULL), "ok(NULL)");
    CHECK(jp_response_json(NULL) == NULL, "json(NULL)");
    CHECK(jp_response_error_code(NULL) == NULL, "error_code(NULL)");
    CHECK(jp_response_error_message(NULL) == NULL, "error_message(NULL)");
    CHECK(jp_response_http_status(NULL) == 0, "http_status(NULL)");
    CHECK(jp_response_attempts(NULL) == 0, "attempts(NULL)");
    jp_response_free(NULL);
    jp_string_free(NULL);
}

static void test_site_identifier(void) {
    char *id = NULL;
    CHECK(jp_site_identifier("https://example.com/demo/", &id) == JP_OK, "identifier");
    CHECK(id && strcmp(id, "example.com::demo") == 0, "identifier %s", str_or(id));
    jp_string_free(id);
    CHECK(jp_site_identifier("12345", &id) == JP_OK && id && strcmp(id, "12345") == 0, "blog id");
    jp_string_free(id);
    CHECK(jp_site_identifier("https://b\xc3\xbc" "cher.example/a", &id) == JP_OK, "IDN");
    CHECK(id && strcmp(id, "xn--bcher-kva.example::a") == 0, "IDN %s", str_or(id));
    jp_string_free(id);
    id = (char *)0x1;
    CHECK(jp_site_identifier(NULL, &id) == JP_INVALID_ARGUMENT && id == NULL, "NULL site");
    CHECK(contains(jp_last_error_message(), "site: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_site_identifier("https://example.com", NULL) == JP_INVALID_ARGUMENT, "NULL out");
    CHECK(jp_site_identifier(BAD_UTF8, &id) == JP_INVALID_ARGUMENT, "bad UTF-8");
    CHECK(jp_site_identifier("https://u:p@example.com", &id) == JP_INVALID_ARGUMENT && id == NULL, "userinfo");
    CHECK(contains(jp_last_error_message(), "site: "), "%s", str_or(jp_last_error_message()));
}

static void test_argument_errors(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    reset_stats();

    CHECK(jp_provision(NULL, "admin", "https://example.com", NULL, NULL, &r) == JP_INVALID_ARGUMENT, "NULL client");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "client: ", "NULL client");
    CHECK(jp_response_http_status(r) == 0 && jp_response_attempts(r) == 0 && jp_response_json(r) == NULL,
          "argument error details");
    jp_response_free(r);
    CHECK(jp_provision(client, NULL, "https://example.com", NULL, NULL, &r) == JP_INVALID_ARGUMENT, "NULL user");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "local_user: ", "NULL user");
    jp_response_free(r);
    CHECK(jp_provision(client, "", "https://example.com", NULL, NULL, &r) == JP_INVALID_ARGUMENT, "empty user");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "local_user: ", "empty user");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", NULL, NULL, NULL, &r) == JP_INVALID_ARGUMENT, "NULL siteurl");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "siteurl: ", "NULL siteurl");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", BAD_UTF8, NULL, NULL, &r) == JP_INVALID_ARGUMENT, "bad UTF-8 siteurl");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "siteurl: is not valid UTF-8", "bad UTF-8");
    jp_response_free(r);
    const char *bad_urls[] = {"example.com", "javascript:alert(1)", "https://u:p@example.com",
                              "https://example.com/#f", "https://example.com/\r\nX: y", "https://"};
    for (size_t i = 0; i < sizeof bad_urls / sizeof *bad_urls; i++) {
        CHECK(jp_provision(client, "admin", bad_urls[i], NULL, NULL, &r) == JP_INVALID_ARGUMENT, "%s", bad_urls[i]);
        expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "siteurl: ", bad_urls[i]);
        jp_response_free(r);
    }
    CHECK(jp_provision(client, "admin", "https://example.com", "Not A Plan", NULL, &r) == JP_INVALID_ARGUMENT, "plan");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "plan: ", "plan");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", BAD_UTF8, NULL, &r) == JP_INVALID_ARGUMENT, "plan utf8");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, "{", &r) == JP_INVALID_ARGUMENT, "bad JSON");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "options_json: ", "bad JSON");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, "[1]", &r) == JP_INVALID_ARGUMENT, "array");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "options_json: ", "array");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, BAD_UTF8, &r) == JP_INVALID_ARGUMENT, "utf8");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, "{\"bogus\": 1}", &r) == JP_INVALID_ARGUMENT,
          "unknown option");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "bogus: ", "unknown option");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, "{\"wpcom_user_id\": -3}", &r) ==
              JP_INVALID_ARGUMENT, "negative count");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "wpcom_user_id: ", "negative count");
    jp_response_free(r);
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, "{\"ssh_port\": \"x\"}", &r) ==
              JP_INVALID_ARGUMENT, "non-numeric port");
    jp_response_free(r);
    /* out may be NULL: only the code comes back. */
    CHECK(jp_provision(client, "admin", "bad", NULL, NULL, NULL) == JP_INVALID_ARGUMENT, "NULL out");

    CHECK(jp_cancel(NULL, "example.com", NULL, &r) == JP_INVALID_ARGUMENT, "cancel NULL client");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "client: ", "cancel NULL client");
    jp_response_free(r);
    CHECK(jp_cancel(client, NULL, NULL, &r) == JP_INVALID_ARGUMENT, "cancel NULL site");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "site: ", "cancel NULL site");
    jp_response_free(r);
    CHECK(jp_cancel(client, BAD_UTF8, NULL, &r) == JP_INVALID_ARGUMENT, "cancel bad site");
    jp_response_free(r);
    CHECK(jp_cancel(client, "example.com", "{\"cancel_all\": \"perhaps\"}", &r) == JP_INVALID_ARGUMENT, "cancel_all");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "cancel_all: ", "cancel_all");
    jp_response_free(r);
    CHECK(jp_cancel(client, "example.com", "nope", NULL) == JP_INVALID_ARGUMENT, "cancel bad JSON");

    CHECK(jp_partner_key_new(NULL, "k", NULL, &r) == JP_INVALID_ARGUMENT, "key NULL client");
    jp_response_free(r);
    CHECK(jp_partner_key_new(client, NULL, NULL, &r) == JP_INVALID_ARGUMENT, "key NULL name");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "name: ", "key NULL name");
    jp_response_free(r);
    CHECK(jp_partner_key_new(client, "", NULL, &r) == JP_INVALID_ARGUMENT, "key empty name");
    jp_response_free(r);
    CHECK(jp_partner_key_new(client, "k", "{\"allowed_premium_plans\": \"lots\"}", &r) == JP_INVALID_ARGUMENT,
          "key count");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "allowed_premium_plans: ", "key count");
    jp_response_free(r);

    CHECK(jp_status(NULL, "example.com", &r) == JP_INVALID_ARGUMENT, "status NULL client");
    jp_response_free(r);
    CHECK(jp_status(client, NULL, &r) == JP_INVALID_ARGUMENT, "status NULL site");
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", "site: ", "status NULL site");
    jp_response_free(r);
    CHECK(jp_status(client, "", NULL) == JP_INVALID_ARGUMENT, "status empty site");

    CHECK(stat_count("token") == 0 && stat_count("provision") == 0, "argument errors reached the server");
    jp_client_free(client);
}

static void test_round_trip(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    reset_stats();

    CHECK(jp_provision(client, "admin", "https://c-test.example.com/blog", "premium",
                       "{\"onboarding\": true, \"partner_tracking_id\": \"c-1\", \"ssh_user\": \"u\", "
                       "\"ssh_pass\": \"p4ss\", \"ssh_port\": 22}",
                       &r) == JP_OK,
          "provision");
    expect_ok(r, "\"success\":true", "provision");
    CHECK(jp_response_attempts(r) == 1, "provision attempts %u", jp_response_attempts(r));
    jp_response_free(r);

    CHECK(jp_status(client, "https://c-test.example.com/blog", &r) == JP_OK, "status");
    expect_ok(r, "\"slug\":\"premium\"", "status");
    CHECK(contains(jp_response_json(r), "\"has_backups_credentials\":true"), "%s", str_or(jp_response_json(r)));
    jp_response_free(r);

    CHECK(jp_provision(client, "admin", "https://c-test.example.com/blog", "no-such-plan", NULL, &r) == JP_API_ERROR,
          "invalid plan");
    expect_error(r, JP_API_ERROR, "invalid_plan", NULL, "invalid plan");
    CHECK(jp_response_http_status(r) == 400, "status %u", jp_response_http_status(r));
    CHECK(contains(jp_response_json(r), "\"error\":\"invalid_plan\""), "%s", str_or(jp_response_json(r)));
    CHECK(contains(jp_response_error_message(r), "no-such-plan"), "%s", str_or(jp_response_error_message(r)));
    jp_response_free(r);

    CHECK(jp_cancel(client, "c-test.example.com::blog", "{\"plan\": \"premium\"}", &r) == JP_OK, "cancel");
    expect_ok(r, "\"success\":true", "cancel");
    jp_response_free(r);
    CHECK(jp_cancel(client, "https://c-test.example.com/blog", "{\"cancel_all\": true}", NULL) == JP_OK, "cancel all");

    CHECK(jp_status(client, "987654321", &r) == JP_API_ERROR, "unknown blog");
    CHECK(jp_response_http_status(r) == 403 || jp_response_http_status(r) == 404, "%u", jp_response_http_status(r));
    jp_response_free(r);

    CHECK(jp_partner_key_new(client, "C reseller", "{\"allowed_premium_plans\": 10, \"notes\": \"n\"}", &r) == JP_OK,
          "partner key");
    expect_ok(r, "\"client_secret\"", "partner key");
    CHECK(contains(jp_response_json(r), "\"allowed_premium_plans\":\"10\""), "%s", str_or(jp_response_json(r)));
    jp_response_free(r);

    CHECK(stat_count("token") == 1, "token requests %ld", stat_count("token"));
    jp_client_free(client);
}

static void test_token_error(void) {
    jp_client *client = NULL;
    CHECK(jp_client_new(PARTNER_ID, "wrong-secret", &client) == JP_OK, "client");
    CHECK(jp_client_set_api_base(client, sandbox_url) == JP_OK, "api base");
    jp_response *r = NULL;
    CHECK(jp_status(client, "example.com", &r) == JP_TOKEN_ERROR, "token error");
    expect_error(r, JP_TOKEN_ERROR, "token_error", NULL, "token error");
    CHECK(contains(jp_response_error_message(r), "invalid_client"), "%s", str_or(jp_response_error_message(r)));
    CHECK(!contains(jp_response_error_message(r), "wrong-secret"), "secret in message");
    CHECK(jp_response_http_status(r) == 400, "%u", jp_response_http_status(r));
    jp_response_free(r);
    jp_client_free(client);
}

static void test_connection_errors(void) {
    /* A port with nothing listening. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(addr.sin_port));

    jp_client *client = new_client();
    CHECK(jp_client_set_api_base(client, url) == JP_OK, "closed port base");
    CHECK(jp_client_set_max_attempts(client, 2) == JP_OK, "attempts");
    jp_response *r = NULL;
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, NULL, &r) == JP_TRANSPORT_ERROR, "refused");
    expect_error(r, JP_TRANSPORT_ERROR, "transport_error", NULL, "refused");
    CHECK(jp_response_http_status(r) == 0, "status");
    jp_response_free(r);

    /* TLS spoken to a plain HTTP server. */
    char https[128];
    snprintf(https, sizeof https, "https://%s", sandbox_url + strlen("http://"));
    CHECK(jp_client_set_api_base(client, https) == JP_OK, "https base");
    CHECK(jp_status(client, "example.com", &r) == JP_TLS_ERROR, "tls");
    expect_error(r, JP_TLS_ERROR, "tls_error", NULL, "tls");
    jp_response_free(r);
    jp_client_free(client);
}

static void test_faults(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    CHECK(jp_provision(client, "admin", "https://faults.example.com", NULL, NULL, NULL) == JP_OK, "setup");

    /* Overall time limit. */
    CHECK(jp_client_set_timeout_ms(client, 500) == JP_OK, "timeout");
    fault("{\"endpoint\": \"status\", \"kind\": \"delay\", \"delay_ms\": 3000}");
    CHECK(jp_status(client, "faults.example.com", &r) == JP_TIMEOUT, "timeout");
    expect_error(r, JP_TIMEOUT, "timeout", NULL, "timeout");
    jp_response_free(r);
    clear_faults();
    CHECK(jp_client_set_timeout_ms(client, 20000) == JP_OK, "timeout back");

    /* Reply larger than the limit. */
    CHECK(jp_client_set_max_response_bytes(client, 10000) == JP_OK, "limit");
    fault("{\"endpoint\": \"status\", \"kind\": \"oversized\", \"size\": 50000}");
    CHECK(jp_status(client, "faults.example.com", &r) == JP_RESPONSE_TOO_LARGE, "too large");
    expect_error(r, JP_RESPONSE_TOO_LARGE, "response_too_large", NULL, "too large");
    jp_response_free(r);

    /* Not JSON. */
    fault("{\"endpoint\": \"provision\", \"kind\": \"invalid_json\"}");
    CHECK(jp_provision(client, "admin", "https://faults.example.com", NULL, NULL, &r) == JP_INVALID_RESPONSE, "json");
    expect_error(r, JP_INVALID_RESPONSE, "invalid_response", NULL, "invalid json");
    CHECK(jp_response_http_status(r) == 200 && jp_response_json(r) == NULL, "invalid json details");
    jp_response_free(r);

    /* Connection reset after processing: outcome unknown, not retried. */
    reset_stats();
    fault("{\"endpoint\": \"provision\", \"kind\": \"reset\"}");
    CHECK(jp_provision(client, "admin", "https://faults.example.com", "premium", NULL, &r) == JP_OUTCOME_UNKNOWN,
          "reset");
    expect_error(r, JP_OUTCOME_UNKNOWN, "outcome_unknown", NULL, "reset");
    CHECK(contains(jp_response_error_message(r), "status"), "%s", str_or(jp_response_error_message(r)));
    CHECK(jp_response_attempts(r) == 1 && stat_count("provision") == 1, "reset attempts");
    jp_response_free(r);

    /* Transient GET failures: retried, then success. */
    reset_stats();
    fault("{\"endpoint\": \"status\", \"kind\": \"status\", \"status\": 503, \"count\": 2}");
    CHECK(jp_status(client, "faults.example.com", &r) == JP_OK, "503 retried");
    CHECK(jp_response_attempts(r) == 3 && stat_count("status") == 3, "attempts %u", jp_response_attempts(r));
    jp_response_free(r);

    /* 500 on a POST: outcome unknown, the server's error body kept. */
    fault("{\"endpoint\": \"cancel\", \"kind\": \"status\", \"status\": 500}");
    CHECK(jp_cancel(client, "faults.example.com", NULL, &r) == JP_OUTCOME_UNKNOWN, "500 on cancel");
    CHECK(jp_response_http_status(r) == 500 && contains(jp_response_json(r), "sandbox_fault"), "500 details");
    jp_response_free(r);

    /* Token refused once: one refresh, the call repeated. */
    reset_stats();
    fault("{\"endpoint\": \"provision\", \"kind\": \"refuse_token\"}");
    CHECK(jp_provision(client, "admin", "https://faults.example.com", "premium", NULL, &r) == JP_OK, "refresh");
    CHECK(jp_response_attempts(r) == 2 && stat_count("token") == 1, "refresh attempts %u", jp_response_attempts(r));
    jp_response_free(r);
    clear_faults();
    jp_client_free(client);
}

struct thread_arg {
    const jp_client *client;
    int index;
    int ok;
};

static void *provision_thread(void *p) {
    struct thread_arg *arg = p;
    for (int i = 0; i < 5; i++) {
        char site[96];
        snprintf(site, sizeof site, "https://thread%d-%d.example.com", arg->index, i);
        jp_response *r = NULL;
        if (jp_provision(arg->client, "admin", site, "premium", NULL, &r) == JP_OK && jp_response_ok(r)) arg->ok++;
        jp_response_free(r);
    }
    return NULL;
}

static void test_threads(void) {
    jp_client *client = new_client();
    reset_stats();
    pthread_t threads[8];
    struct thread_arg args[8];
    for (int t = 0; t < 8; t++) {
        args[t] = (struct thread_arg){client, t, 0};
        pthread_create(&threads[t], NULL, provision_thread, &args[t]);
    }
    int ok = 0;
    for (int t = 0; t < 8; t++) {
        pthread_join(threads[t], NULL);
        ok += args[t].ok;
    }
    CHECK(ok == 40, "threads: %d of 40 succeeded", ok);
    CHECK(stat_count("token") == 1, "one token for 8 threads: %ld", stat_count("token"));
    CHECK(stat_count("provision") == 40, "provisions %ld", stat_count("provision"));
    jp_client_free(client);
}

static void test_fork(void) {
    jp_client *client = new_client();
    CHECK(jp_provision(client, "admin", "https://fork-parent.example.com", NULL, NULL, NULL) == JP_OK, "parent before");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        jp_code a = jp_provision(client, "admin", "https://fork-child.example.com", "premium", NULL, NULL);
        jp_code b = jp_status(client, "fork-child.example.com", NULL);
        jp_client_free(client);
        _exit(a == JP_OK && b == JP_OK ? 0 : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "fork/wait");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: status %d", status);
    CHECK(jp_provision(client, "admin", "https://fork-parent.example.com", "premium", NULL, NULL) == JP_OK,
          "parent after");
    CHECK(jp_status(client, "fork-child.example.com", NULL) == JP_OK, "child's provision visible");
    jp_client_free(client);
}

/* ---- jp_set_log_callback ---- */

struct log_lines {
    pthread_mutex_t lock;
    int count;
    int errors;
    int status_ok;
    int attempt_lines;
    int leaked;
    int max_level;
    jp_code nested;
};

static void collect_line(uint32_t level, const char *line, void *user_data) {
    struct log_lines *lines = user_data;
    pthread_mutex_lock(&lines->lock);
    lines->count++;
    if ((int)level > lines->max_level) lines->max_level = (int)level;
    if (level == JP_LOG_ERROR) lines->errors++;
    if (starts_with(line, "jetpack-partner: status: ok")) lines->status_ok++;
    if (contains(line, "GET /rest/v1.4/jpphp/") && contains(line, "attempt 1")) lines->attempt_lines++;
    if (contains(line, PARTNER_SECRET) || contains(line, "Bearer")) lines->leaked++;
    /* Changing the callback from inside it is refused, not a deadlock. */
    lines->nested = jp_set_log_callback(NULL, NULL);
    pthread_mutex_unlock(&lines->lock);
}

static void *status_thread(void *p) {
    jp_client *client = p;
    for (int i = 0; i < 5; i++) jp_status(client, "log-threads.example.com", NULL);
    return NULL;
}

static void test_log_callback(void) {
    struct log_lines lines;
    memset(&lines, 0, sizeof lines);
    pthread_mutex_init(&lines.lock, NULL);
    lines.nested = JP_OK;
    CHECK(JP_LOG_ERROR == 1 && JP_LOG_INFO == 2 && JP_LOG_DEBUG == 3, "log levels");
    CHECK(jp_set_log_callback(collect_line, &lines) == JP_OK, "set callback: %s", str_or(jp_last_error_message()));
    jp_client *client = new_client();
    CHECK(jp_provision(client, "admin", "https://log-threads.example.com", "premium", NULL, NULL) == JP_OK,
          "provision with callback");
    CHECK(jp_status(client, "log-threads.example.com", NULL) == JP_OK, "status with callback");
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, status_thread, client);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    jp_response *r = NULL;
    jp_status(client, "nowhere-at-all.example.com", &r);
    expect_error(r, JP_API_ERROR, "unknown_blog", "", "status of an unknown site");
    jp_response_free(r);
    pthread_mutex_lock(&lines.lock);
    CHECK(lines.status_ok == 21, "status outcome lines: %d", lines.status_ok);
    CHECK(lines.attempt_lines >= 21, "attempt lines: %d", lines.attempt_lines);
    CHECK(lines.errors == 1, "error lines: %d", lines.errors);
    CHECK(lines.max_level == JP_LOG_DEBUG, "max level %d", lines.max_level);
    CHECK(lines.leaked == 0, "secret or token in %d lines", lines.leaked);
    CHECK(lines.nested == JP_INVALID_ARGUMENT, "nested set: %u", lines.nested);
    int seen = lines.count;
    pthread_mutex_unlock(&lines.lock);

    CHECK(jp_set_log_callback(NULL, NULL) == JP_OK, "remove callback");
    CHECK(jp_last_error_message() == NULL, "last error after removal");
    CHECK(jp_status(client, "log-threads.example.com", NULL) == JP_OK, "status without callback");
    CHECK(lines.count == seen, "lines after removal: %d vs %d", lines.count, seen);
    jp_client_free(client);
    pthread_mutex_destroy(&lines.lock);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SANDBOX_URL CA_PEM NOT_PEM\n", argv[0]);
        return 2;
    }
    sandbox_url = argv[1];
    const char *colon = strrchr(sandbox_url, ':');
    sandbox_port = colon ? atoi(colon + 1) : 0;

    test_version();
    test_client_new();
    test_setters(argv[2], argv[3]);
    test_null_response();
    test_site_identifier();
    test_argument_errors();
    test_round_trip();
    test_token_error();
    test_connection_errors();
    test_faults();
    test_threads();
    test_fork();
    test_log_callback();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
