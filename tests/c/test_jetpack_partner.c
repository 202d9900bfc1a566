/*
 * C test of libjetpack_partner: every exported function, every error path, against a running sandbox.
 *
 *   test_jetpack_partner SANDBOX_URL CA_PEM NOT_PEM
 *
 * SANDBOX_URL is http://127.0.0.1:PORT of a jetpack-partner-sandbox with the demo partner
 * (12345 / sandbox-demo-secret) and a second partner (67890 / other-partner-secret); CA_PEM a PEM certificate file; NOT_PEM a file that is not PEM.
 * Prints each failure, then "N passed, M failed"; exits 0 only when nothing failed.
 * Run under valgrind by tests/c/run.sh.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sys/wait.h>

#include "harness.h"

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

/* jp_client_builder: every setter's checks, NULL arguments, building twice, freeing NULL. */
static void test_builder(const char *ca_pem, const char *not_pem) {
    jp_client_builder *builder = (jp_client_builder *)0x1;
    CHECK(jp_client_builder_new(NULL, PARTNER_SECRET, &builder) == JP_INVALID_ARGUMENT && builder == NULL, "NULL id");
    CHECK(contains(jp_last_error_message(), "partner_id: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_new(PARTNER_ID, NULL, &builder) == JP_INVALID_ARGUMENT && builder == NULL, "NULL secret");
    CHECK(jp_client_builder_new(PARTNER_ID, PARTNER_SECRET, NULL) == JP_INVALID_ARGUMENT, "NULL out");
    CHECK(contains(jp_last_error_message(), "out: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_new(BAD_UTF8, PARTNER_SECRET, &builder) == JP_INVALID_ARGUMENT, "bad UTF-8 id");
    CHECK(contains(jp_last_error_message(), "partner_id: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_new(PARTNER_ID, BAD_UTF8, &builder) == JP_INVALID_ARGUMENT, "bad UTF-8 secret");
    CHECK(jp_client_builder_new("", PARTNER_SECRET, &builder) == JP_INVALID_ARGUMENT, "empty id");
    CHECK(jp_client_builder_new(PARTNER_ID, "", &builder) == JP_INVALID_ARGUMENT, "empty secret");
    CHECK(jp_client_builder_new(PARTNER_ID, "sec\nret", &builder) == JP_INVALID_ARGUMENT && builder == NULL,
          "control char in secret");
    CHECK(!contains(jp_last_error_message(), "sec\nret"), "secret echoed: %s", str_or(jp_last_error_message()));

    /* NULL builder for every setter, for build and for free. */
    CHECK(jp_client_builder_set_api_base(NULL, sandbox_url) == JP_INVALID_ARGUMENT, "api_base NULL builder");
    CHECK(contains(jp_last_error_message(), "builder: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_timeout_ms(NULL, 1000) == JP_INVALID_ARGUMENT, "timeout NULL builder");
    CHECK(jp_client_builder_set_connect_timeout_ms(NULL, 1000) == JP_INVALID_ARGUMENT, "connect NULL builder");
    CHECK(jp_client_builder_set_idle_timeout_ms(NULL, 1000) == JP_INVALID_ARGUMENT, "idle NULL builder");
    CHECK(jp_client_builder_set_proxy(NULL, NULL) == JP_INVALID_ARGUMENT, "proxy NULL builder");
    CHECK(jp_client_builder_set_ca_bundle(NULL, NULL) == JP_INVALID_ARGUMENT, "ca NULL builder");
    CHECK(jp_client_builder_set_token_cache_dir(NULL, "/tmp") == JP_INVALID_ARGUMENT, "token cache NULL builder");
    CHECK(jp_client_builder_set_max_attempts(NULL, 3) == JP_INVALID_ARGUMENT, "attempts NULL builder");
    CHECK(jp_client_builder_set_max_response_bytes(NULL, 1000) == JP_INVALID_ARGUMENT, "bytes NULL builder");
    CHECK(contains(jp_last_error_message(), "builder: must not be NULL"), "%s", str_or(jp_last_error_message()));
    jp_client *client = (jp_client *)0x1;
    CHECK(jp_client_builder_build(NULL, &client) == JP_INVALID_ARGUMENT && client == NULL, "build NULL builder");
    CHECK(contains(jp_last_error_message(), "builder: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_warm(NULL) == JP_INVALID_ARGUMENT, "warm NULL client");
    CHECK(contains(jp_last_error_message(), "client: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_warm_in_background(NULL) == JP_INVALID_ARGUMENT, "background warm NULL client");
    CHECK(contains(jp_last_error_message(), "client: must not be NULL"), "%s", str_or(jp_last_error_message()));
    jp_client_builder_free(NULL);

    CHECK(jp_client_builder_new(PARTNER_ID, PARTNER_SECRET, &builder) == JP_OK && builder != NULL, "valid");
    CHECK(jp_last_error_message() == NULL, "last error after success: %s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_build(builder, NULL) == JP_INVALID_ARGUMENT, "build NULL out");
    CHECK(contains(jp_last_error_message(), "out: must not be NULL"), "%s", str_or(jp_last_error_message()));

    /* Each setter: refused values name the setting, accepted ones clear the last error. */
    CHECK(jp_client_builder_set_api_base(builder, NULL) == JP_INVALID_ARGUMENT, "api_base NULL");
    CHECK(contains(jp_last_error_message(), "url: must not be NULL"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_api_base(builder, BAD_UTF8) == JP_INVALID_ARGUMENT, "api_base bad UTF-8");
    CHECK(contains(jp_last_error_message(), "url: is not valid UTF-8"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_api_base(builder, "http://example.com") == JP_INVALID_ARGUMENT, "plain http remote");
    CHECK(contains(jp_last_error_message(), "api_base: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_api_base(builder, "ftp://127.0.0.1") == JP_INVALID_ARGUMENT, "ftp");
    CHECK(jp_client_builder_set_api_base(builder, "https://public-api.wordpress.com") == JP_OK, "https remote");
    CHECK(jp_last_error_message() == NULL, "last error cleared");
    CHECK(jp_client_builder_set_timeout_ms(builder, 0) == JP_INVALID_ARGUMENT, "timeout 0");
    CHECK(contains(jp_last_error_message(), "timeout: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_timeout_ms(builder, UINT64_MAX) == JP_INVALID_ARGUMENT, "timeout max");
    CHECK(jp_client_builder_set_timeout_ms(builder, 30000) == JP_OK, "timeout");
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, 0) == JP_INVALID_ARGUMENT, "connect 0");
    CHECK(contains(jp_last_error_message(), "connect_timeout: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, UINT64_MAX) == JP_INVALID_ARGUMENT, "connect max");
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, 5000) == JP_OK, "connect");
    CHECK(jp_client_builder_set_idle_timeout_ms(builder, 0) == JP_INVALID_ARGUMENT, "idle 0");
    CHECK(contains(jp_last_error_message(), "idle_timeout: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_idle_timeout_ms(builder, UINT64_MAX) == JP_INVALID_ARGUMENT, "idle max");
    CHECK(jp_client_builder_set_idle_timeout_ms(builder, 90000) == JP_OK, "idle");
    CHECK(jp_client_builder_set_proxy(builder, "socks5://127.0.0.1:1080") == JP_INVALID_ARGUMENT, "socks proxy");
    CHECK(contains(jp_last_error_message(), "proxy: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_proxy(builder, BAD_UTF8) == JP_INVALID_ARGUMENT, "proxy bad UTF-8");
    CHECK(jp_client_builder_set_proxy(builder, "http://user:pw@127.0.0.1:3128") == JP_OK, "proxy");
    CHECK(jp_client_builder_set_proxy(builder, NULL) == JP_OK, "proxy cleared");
    CHECK(jp_client_builder_set_proxy(builder, "") == JP_OK, "proxy cleared by empty string");
    CHECK(jp_client_builder_set_ca_bundle(builder, "/nonexistent/ca.pem") == JP_INVALID_ARGUMENT, "missing CA file");
    CHECK(contains(jp_last_error_message(), "ca_bundle: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_ca_bundle(builder, not_pem) == JP_INVALID_ARGUMENT, "not PEM");
    CHECK(jp_client_builder_set_ca_bundle(builder, BAD_UTF8) == JP_INVALID_ARGUMENT, "CA path bad UTF-8");
    CHECK(jp_client_builder_set_ca_bundle(builder, ca_pem) == JP_OK, "CA file: %s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_ca_bundle(builder, NULL) == JP_OK, "CA cleared");
    CHECK(jp_client_builder_set_ca_bundle(builder, "") == JP_OK, "CA cleared by empty string");
    CHECK(jp_client_builder_set_token_cache_dir(builder, "/nonexistent/jp-cache") == JP_INVALID_ARGUMENT,
          "missing dir");
    CHECK(contains(jp_last_error_message(), "token_cache_dir: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_token_cache_dir(builder, BAD_UTF8) == JP_INVALID_ARGUMENT, "token cache bad UTF-8");
    CHECK(jp_client_builder_set_token_cache_dir(builder, "/tmp") == JP_OK, "token cache dir");
    CHECK(jp_client_builder_set_token_cache_dir(builder, NULL) == JP_OK, "token cache cleared");
    CHECK(jp_client_builder_set_token_cache_dir(builder, "") == JP_OK, "token cache cleared by empty string");
    CHECK(jp_client_builder_set_max_attempts(builder, 0) == JP_INVALID_ARGUMENT, "attempts 0");
    CHECK(contains(jp_last_error_message(), "max_attempts: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_max_attempts(builder, 11) == JP_INVALID_ARGUMENT, "attempts 11");
    CHECK(jp_client_builder_set_max_attempts(builder, 4) == JP_OK, "attempts 4");
    CHECK(jp_client_builder_set_max_response_bytes(builder, 0) == JP_INVALID_ARGUMENT, "bytes 0");
    CHECK(contains(jp_last_error_message(), "max_response_bytes: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_client_builder_set_max_response_bytes(builder, UINT64_MAX) == JP_INVALID_ARGUMENT, "bytes max");
    CHECK(jp_client_builder_set_max_response_bytes(builder, 4096) == JP_OK, "bytes");

    /* Building twice gives two clients; the builder stays the caller's. */
    jp_client *first = NULL, *second = NULL;
    CHECK(jp_client_builder_build(builder, &first) == JP_OK && first != NULL, "build: %s",
          str_or(jp_last_error_message()));
    CHECK(jp_last_error_message() == NULL, "last error after build");
    CHECK(jp_client_builder_build(builder, &second) == JP_OK && second != NULL && second != first, "build twice");
    jp_client_free(first);
    jp_client_free(second);
    jp_client_builder_free(builder);
}

/* Copies the file at `from` to a new temporary file; returns its path (malloc'd) or NULL. */
static char *copy_to_temp(const char *from) {
    char *path = strdup("/tmp/jp-test-ca-XXXXXX");
    int fd = mkstemp(path);
    FILE *in = fopen(from, "rb");
    int ok = fd >= 0 && in != NULL;
    char buf[4096];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = write(fd, buf, n) == (ssize_t)n;
    if (in) fclose(in);
    if (fd >= 0) close(fd);
    if (!ok) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* A client keeps the settings it was built with: later changes to its builder, and the builder's
   release, reach only the clients built after them; a refused change leaves the builder as it was.
   The CA bundle is read again when a client is built. */
static void test_built_clients(const char *ca_pem) {
    jp_client_builder *builder = sandbox_builder();
    jp_client *before = build_client(builder);
    CHECK(jp_client_builder_set_max_attempts(builder, 11) == JP_INVALID_ARGUMENT, "attempts 11 refused");
    CHECK(jp_client_builder_set_api_base(builder, "http://example.com") == JP_INVALID_ARGUMENT, "remote http refused");
    jp_client *unchanged = build_client(builder);
    char url[64];
    closed_port_url(url, sizeof url);
    CHECK(jp_client_builder_set_api_base(builder, url) == JP_OK, "closed port base");
    CHECK(jp_client_builder_set_max_attempts(builder, 1) == JP_OK, "one attempt");
    jp_client *after = build_client(builder);
    jp_client_builder_free(builder);

    jp_response *r = NULL;
    CHECK(jp_provision(before, "admin", "https://c-built.example.com", "premium", NULL, &r) == JP_OK,
          "client built before the change: %s", str_or(jp_response_error_message(r)));
    jp_response_free(r);
    r = NULL;
    CHECK(jp_status(unchanged, "c-built.example.com", &r) == JP_OK, "client built after refused changes: %s",
          str_or(jp_response_error_message(r)));
    jp_response_free(r);
    r = NULL;
    CHECK(jp_status(after, "c-built.example.com", &r) == JP_TRANSPORT_ERROR, "client built after the change: %s",
          str_or(jp_response_error_code(r)));
    jp_response_free(r);
    jp_client_free(before);
    jp_client_free(unchanged);
    jp_client_free(after);

    char *ca_copy = copy_to_temp(ca_pem);
    CHECK(ca_copy != NULL, "copy of %s", ca_pem);
    if (ca_copy == NULL) return;
    builder = sandbox_builder();
    CHECK(jp_client_builder_set_ca_bundle(builder, ca_copy) == JP_OK, "CA copy: %s", str_or(jp_last_error_message()));
    unlink(ca_copy);
    jp_client *client = (jp_client *)0x1;
    CHECK(jp_client_builder_build(builder, &client) == JP_INVALID_ARGUMENT && client == NULL, "CA file gone");
    CHECK(contains(jp_last_error_message(), "ca_bundle: cannot read"), "%s", str_or(jp_last_error_message()));
    jp_client_builder_free(builder);
    free(ca_copy);
}

/* warm(): the token is asked for once, ahead of the calls, which then need none. */
static void test_warm(void) {
    jp_client_builder *builder = sandbox_builder();
    /* Settings no other test uses, so that no token is shared with them yet. */
    CHECK(jp_client_builder_set_idle_timeout_ms(builder, 61000) == JP_OK, "idle");
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
    reset_stats();
    CHECK(jp_client_warm(client) == JP_OK, "warm: %s", str_or(jp_last_error_message()));
    CHECK(jp_last_error_message() == NULL, "no error after warm");
    CHECK(stat_count("token") == 1, "token requests after warm %ld", stat_count("token"));
    CHECK(jp_client_warm(client) == JP_OK, "warm again");
    jp_response *r = NULL;
    CHECK(jp_status(client, "https://c-warm.example.com", &r) != JP_INTERNAL, "status after warm");
    jp_response_free(r);
    CHECK(stat_count("token") == 1, "token requests after a call %ld", stat_count("token"));
    jp_client_free(client);

    jp_client *wrong = sandbox_client_for(PARTNER_ID, "wrong-secret-for-warm");
    CHECK(jp_client_warm(wrong) == JP_TOKEN_ERROR, "warm with a wrong secret");
    CHECK(contains(jp_last_error_message(), "invalid_client"), "%s", str_or(jp_last_error_message()));
    CHECK(!contains(jp_last_error_message(), "wrong-secret-for-warm"), "secret in message");
    jp_client_free(wrong);
}

/* warm_in_background(): returns at once; a call made meanwhile waits for that token. */
static void test_warm_in_background(void) {
    jp_client_builder *builder = sandbox_builder();
    /* Settings no other test uses, so that no token is shared with them yet. */
    CHECK(jp_client_builder_set_idle_timeout_ms(builder, 62000) == JP_OK, "idle");
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
    reset_stats();
    CHECK(jp_client_warm_in_background(client) == JP_OK, "background warm: %s",
          str_or(jp_last_error_message()));
    CHECK(jp_last_error_message() == NULL, "no error after a background warm");
    jp_response *r = NULL;
    CHECK(jp_status(client, "https://c-warm-bg.example.com", &r) != JP_INTERNAL, "status after warm");
    jp_response_free(r);
    CHECK(stat_count("token") == 1, "token requests after a call %ld", stat_count("token"));
    CHECK(jp_client_warm_in_background(client) == JP_OK, "background warm with a token at hand");
    jp_client_free(client);

    /* A failure shows in the next operation, not in the warm-up. */
    jp_client *wrong = sandbox_client_for(PARTNER_ID, "wrong-secret-for-background-warm");
    CHECK(jp_client_warm_in_background(wrong) == JP_OK, "background warm with a wrong secret");
    r = NULL;
    CHECK(jp_status(wrong, "https://c-warm-bg.example.com", &r) == JP_TOKEN_ERROR,
          "status after a failed background warm");
    CHECK(!contains(jp_response_error_message(r), "wrong-secret-for-background-warm"), "secret in message");
    jp_response_free(r);
    jp_client_free(wrong);
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
    const char *bad_urls[] = {"mailto:a@example.com", "javascript:alert(1)", "https://u:p@example.com",
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

    /* A site URL without its scheme, as the 2018 WHMCS module sends it: accepted, sent as given. */
    CHECK(jp_provision(client, "admin", "c-bare.example.com/blog", "premium", NULL, &r) == JP_OK, "scheme-less");
    expect_ok(r, "siteurl=http%3A%2F%2Fc-bare.example.com%2Fblog", "scheme-less");
    jp_response_free(r);
    CHECK(jp_status(client, "https://c-bare.example.com/blog", &r) == JP_OK, "scheme-less status");
    expect_ok(r, "\"slug\":\"premium\"", "scheme-less status");
    jp_response_free(r);

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
    jp_client *client = sandbox_client_for(PARTNER_ID, "wrong-secret");
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
    char url[64];
    closed_port_url(url, sizeof url);
    jp_client_builder *builder = sandbox_builder();
    CHECK(jp_client_builder_set_api_base(builder, url) == JP_OK, "closed port base");
    CHECK(jp_client_builder_set_max_attempts(builder, 2) == JP_OK, "attempts");
    jp_client *client = build_client(builder);
    jp_response *r = NULL;
    CHECK(jp_provision(client, "admin", "https://example.com", NULL, NULL, &r) == JP_TRANSPORT_ERROR, "refused");
    expect_error(r, JP_TRANSPORT_ERROR, "transport_error", NULL, "refused");
    CHECK(jp_response_http_status(r) == 0, "status");
    jp_response_free(r);

    /* TLS spoken to a plain HTTP server. */
    char https[128];
    snprintf(https, sizeof https, "https://%s", sandbox_url + strlen("http://"));
    CHECK(jp_client_builder_set_api_base(builder, https) == JP_OK, "https base");
    jp_client *tls_client = build_client(builder);
    jp_client_builder_free(builder);
    CHECK(jp_status(tls_client, "example.com", &r) == JP_TLS_ERROR, "tls");
    expect_error(r, JP_TLS_ERROR, "tls_error", NULL, "tls");
    jp_response_free(r);
    jp_client_free(tls_client);
    jp_client_free(client);
}

static void test_faults(void) {
    jp_client_builder *builder = sandbox_builder();
    jp_client *setup = build_client(builder);
    jp_response *r = NULL;
    CHECK(jp_provision(setup, "admin", "https://faults.example.com", NULL, NULL, NULL) == JP_OK, "setup");
    jp_client_free(setup);

    /* Overall time limit. */
    CHECK(jp_client_builder_set_timeout_ms(builder, 500) == JP_OK, "timeout");
    jp_client *hasty = build_client(builder);
    fault("{\"endpoint\": \"status\", \"kind\": \"delay\", \"delay_ms\": 3000}");
    CHECK(jp_status(hasty, "faults.example.com", &r) == JP_TIMEOUT, "timeout");
    expect_error(r, JP_TIMEOUT, "timeout", NULL, "timeout");
    jp_response_free(r);
    jp_client_free(hasty);
    clear_faults();

    /* Reply larger than the limit. */
    CHECK(jp_client_builder_set_timeout_ms(builder, 20000) == JP_OK, "timeout");
    CHECK(jp_client_builder_set_max_response_bytes(builder, 10000) == JP_OK, "limit");
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
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

/* The token and the connections outlive a client: the next client with the same settings uses them,
   one with other settings does not. */
static void test_shared_between_clients(void) {
    reset_stats();
    for (int i = 0; i < 3; i++) {
        jp_client_builder *builder = sandbox_builder();
        CHECK(jp_client_builder_set_connect_timeout_ms(builder, 9002) == JP_OK, "set_connect_timeout_ms");
        jp_client *client = build_client(builder);
        jp_client_builder_free(builder);
        char site[96];
        snprintf(site, sizeof site, "https://shared%d.example.com", i);
        jp_response *r = NULL;
        CHECK(jp_provision(client, "admin", site, "premium", NULL, &r) == JP_OK, "shared provision %d", i);
        CHECK(jp_response_attempts(r) == 1, "shared provision %d: %u attempts", i, jp_response_attempts(r));
        jp_response_free(r);
        jp_client_free(client);
    }
    CHECK(stat_count("token") == 1, "one token for 3 clients in sequence: %ld", stat_count("token"));
    jp_client_builder *builder = sandbox_builder();
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, 9003) == JP_OK, "set_connect_timeout_ms");
    jp_client *other = build_client(builder);
    jp_client_builder_free(builder);
    jp_response *r = NULL;
    CHECK(jp_status(other, "shared0.example.com", &r) == JP_OK, "status with other settings");
    jp_response_free(r);
    jp_client_free(other);
    CHECK(stat_count("token") == 2, "other settings, own token: %ld", stat_count("token"));
}

static void test_threads(void) {
    jp_client_builder *builder = sandbox_builder();
    /* Clients with the same settings share one token per process: a connect time limit of its own
       makes this client ask for its own token. */
    CHECK(jp_client_builder_set_connect_timeout_ms(builder, 9001) == JP_OK, "set_connect_timeout_ms");
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
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

/* ---- the whole partner API (issue 6): generic request, partner endpoints, reporting, OAuth, licensing ---- */

#define USER_LOGIN "partner-12345"
#define USER_PASSWORD "sandbox-demo-password"
#define OTHER_ID "67890"
#define OTHER_SECRET "other-partner-secret"
#define REDIRECT "http://127.0.0.1:9/callback"

/* The string value of the first "key":"..." in a JSON text (no escapes in the value), malloc'd; NULL if
   absent. */
static char *json_string(const char *json, const char *key) {
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    if (at == NULL) return NULL;
    at += strlen(pattern);
    const char *end = strchr(at, '"');
    return end ? strndup(at, (size_t)(end - at)) : NULL;
}

/* The number of the first "key":N in a JSON text; -1 if absent. */
static long json_number(const char *json, const char *key) {
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = json ? strstr(json, pattern) : NULL;
    return at ? strtol(at + strlen(pattern), NULL, 10) : -1;
}

static int count_of(const char *text, const char *needle) {
    int n = 0;
    for (const char *at = text; at && (at = strstr(at, needle)) != NULL; at += strlen(needle)) n++;
    return n;
}

/* Checks that a call refused an argument before any request: JP_INVALID_ARGUMENT, a response whose
   message starts with `prefix`. Frees the response. */
static void expect_refused(jp_code code, jp_response *r, const char *prefix, const char *what) {
    CHECK(code == JP_INVALID_ARGUMENT, "%s: code %u", what, code);
    expect_error(r, JP_INVALID_ARGUMENT, "invalid_argument", prefix, what);
    jp_response_free(r);
}

/* Runs `call` (which writes the response to r), then checks it with expect_refused. */
#define REFUSED(call, prefix, what)                  \
    do {                                             \
        r = NULL;                                    \
        jp_code refused_code_ = (call);              \
        expect_refused(refused_code_, r, prefix, what); \
    } while (0)

/* The Location header of a GET to the sandbox (path and query of `url`), malloc'd; NULL on failure. */
static char *location_of(const char *url) {
    const char *path = strchr(url + strlen("http://"), '/');
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || path == NULL) return NULL;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)sandbox_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return NULL;
    }
    char head[4096];
    int n = snprintf(head, sizeof head, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (n <= 0 || (size_t)n >= sizeof head || write(fd, head, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    char reply[8192];
    size_t len = 0;
    ssize_t got;
    while (len + 1 < sizeof reply && (got = read(fd, reply + len, sizeof reply - len - 1)) > 0) len += (size_t)got;
    close(fd);
    reply[len] = '\0';
    char *at = strstr(reply, "\r\nlocation: ");
    if (at == NULL) at = strstr(reply, "\r\nLocation: ");
    if (at == NULL) return NULL;
    at += strlen("\r\nlocation: ");
    char *end = strstr(at, "\r\n");
    return end ? strndup(at, (size_t)(end - at)) : NULL;
}

/* A user token of the client's partner user, malloc'd. */
static char *user_token_of(jp_client *client, const char *login) {
    jp_response *r = NULL;
    jp_code code = jp_oauth_password_grant(client, login, USER_PASSWORD, &r);
    CHECK(code == JP_OK, "password grant for %s: %s", login, str_or(jp_response_error_message(r)));
    char *token = json_string(jp_response_json(r), "access_token");
    CHECK(token != NULL && strlen(token) > 10, "token in %s", str_or(jp_response_json(r)));
    jp_response_free(r);
    return token ? token : strdup("missing");
}

static void test_api_null_arguments(void) {
    jp_response *r = NULL;
    const char *c = "client: must not be NULL";
    REFUSED(jp_request(NULL, "{}", &r), c, "request");
    REFUSED(jp_status_v12(NULL, "a.example.com", &r), c, "status_v12");
    REFUSED(jp_upgrade_paths(NULL, "a.example.com", &r), c, "upgrade_paths");
    REFUSED(jp_errors(NULL, false, &r), c, "errors");
    REFUSED(jp_partner_keys_verify(NULL, &r), c, "partner_keys_verify");
    REFUSED(jp_activations(NULL, "t", "1", "2", NULL, &r), c, "activations");
    REFUSED(jp_activations_summary(NULL, "t", NULL, &r), c, "activations_summary");
    REFUSED(jp_invoices(NULL, "t", "1", "2", &r), c, "invoices");
    REFUSED(jp_upcoming_invoice(NULL, "t", "1", "2", &r), c, "upcoming_invoice");
    REFUSED(jp_partner_details(NULL, "t", &r), c, "partner_details");
    REFUSED(jp_oauth_exchange_code(NULL, "c", REDIRECT, &r), c, "exchange_code");
    REFUSED(jp_oauth_password_grant(NULL, "u", "p", &r), c, "password_grant");
    REFUSED(jp_oauth_token_info(NULL, "t", &r), c, "token_info");
    REFUSED(jp_license_issue(NULL, "jetpack-scan", &r), c, "license_issue");
    REFUSED(jp_license_status(NULL, "k", &r), c, "license_status");
    REFUSED(jp_license_revoke(NULL, "k", &r), c, "license_revoke");
    REFUSED(jp_license_attach(NULL, "k", "a.example.com", &r), c, "license_attach");
    REFUSED(jp_license_detach(NULL, "k", NULL, &r), c, "license_detach");
    REFUSED(jp_product_families(NULL, &r), c, "product_families");
    REFUSED(jp_licensing_partner(NULL, "t", &r), c, "licensing_partner");
    REFUSED(jp_site_connection(NULL, "https://a.example.com", "admin", &r), c, "site_connection");
    /* out may be NULL: only the code. */
    CHECK(jp_errors(NULL, true, NULL) == JP_INVALID_ARGUMENT, "errors without out");

    jp_client *client = new_client();
    reset_stats();
    REFUSED(jp_status_v12(client, NULL, &r), "site: must not be NULL", "status_v12 NULL site");
    REFUSED(jp_upgrade_paths(client, BAD_UTF8, &r), "site: is not valid UTF-8", "upgrade_paths UTF-8");
    REFUSED(jp_activations(client, NULL, "1", "2", NULL, &r), "user_token: must not be NULL", "act token");
    REFUSED(jp_activations(client, "t", BAD_UTF8, "2", NULL, &r), "partner_id: is not valid UTF-8",
                   "act partner");
    REFUSED(jp_activations(client, "t", "1", NULL, NULL, &r), "key_id: must not be NULL", "act key");
    REFUSED(jp_activations(client, "t", "1", "2", "[1]", &r), "options_json: ", "act options");
    REFUSED(jp_activations(client, "t", "1", "2", "{\"per_page\":0}", &r), "per_page: ", "per_page 0");
    REFUSED(jp_activations(client, "t", "1", "2", "{\"page\":\"x\"}", &r), "page: ", "page x");
    REFUSED(jp_activations_summary(client, "t", "{\"scale\":\"week\"}", &r), "scale: ", "scale");
    REFUSED(jp_invoices(client, "t", "1", BAD_UTF8, &r), "key_id: is not valid UTF-8", "invoices key");
    REFUSED(jp_upcoming_invoice(client, "t", NULL, "2", &r), "partner_id: must not be NULL", "upcoming");
    REFUSED(jp_partner_details(client, "", &r), "user_token: must not be empty", "details empty");
    REFUSED(jp_oauth_exchange_code(client, NULL, REDIRECT, &r), "code: must not be NULL", "code NULL");
    REFUSED(jp_oauth_exchange_code(client, "c", "ftp://x", &r), "redirect_uri: ", "redirect ftp");
    REFUSED(jp_oauth_password_grant(client, "u", NULL, &r), "password: must not be NULL", "password");
    REFUSED(jp_oauth_password_grant(client, BAD_UTF8, "p", &r), "username: is not valid UTF-8", "user");
    REFUSED(jp_oauth_token_info(client, "a b", &r), "token: ", "token space");
    REFUSED(jp_license_issue(client, "Not A Slug", &r), "product: ", "product");
    REFUSED(jp_license_status(client, NULL, &r), "license_key: must not be NULL", "status key");
    REFUSED(jp_license_revoke(client, "", &r), "license_key: must not be empty", "revoke key");
    REFUSED(jp_license_attach(client, "k", NULL, &r), "site: must not be NULL", "attach site");
    REFUSED(jp_license_detach(client, "k", "{\"cancellation_email\":\"x\"}", &r), "cancellation_email: ",
                   "detach option");
    REFUSED(jp_license_detach(client, "k", "{\"notify\":true}", &r), "notify: ", "detach unknown");
    REFUSED(jp_licensing_partner(client, BAD_UTF8, &r), "user_token: is not valid UTF-8", "lic partner");
    REFUSED(jp_site_connection(client, "not-a-url", "admin", &r), "url: ", "site_connection url");
    REFUSED(jp_site_connection(client, "https://a.example.com", NULL, &r), "local_user: must not be NULL",
                   "site_connection user");
    CHECK(stat_count("reporting") + stat_count("licensing") + stat_count("token") + stat_count("status_v12") +
                  stat_count("upgrade_paths") + stat_count("token_info") ==
              0,
          "refused arguments reached the sandbox");
    jp_client_free(client);
}

static void test_generic_request(void) {
    jp_client *client = new_client();
    char *token = user_token_of(client, USER_LOGIN);
    jp_response *r = NULL;
    reset_stats();
    REFUSED(jp_request(client, NULL, &r), "request_json: must not be NULL", "request NULL");
    REFUSED(jp_request(client, BAD_UTF8, &r), "request_json: is not valid UTF-8", "request UTF-8");
    REFUSED(jp_request(client, "not json", &r), "request_json: is not valid JSON", "request text");
    REFUSED(jp_request(client, "[]", &r), "request_json: must be a JSON object", "request array");
    REFUSED(jp_request(client, "{\"path\":\"/rest/v1/me\"}", &r), "method: is required", "no method");
    REFUSED(jp_request(client, "{\"method\":\"GET\"}", &r), "path: is required", "no path");
    REFUSED(jp_request(client, "{\"method\":\"TRACE\",\"path\":\"/x\"}", &r), "method: ", "TRACE");
    REFUSED(jp_request(client, "{\"method\":\"GET\",\"path\":\"x\"}", &r), "path: ", "relative path");
    REFUSED(jp_request(client, "{\"method\":\"GET\",\"path\":\"/x\",\"bogus\":1}", &r), "bogus: ",
                   "unknown member");
    REFUSED(jp_request(client, "{\"method\":\"GET\",\"path\":\"/x\",\"auth\":\"user\"}", &r),
                   "user_token: ", "user without token");
    REFUSED(jp_request(client, "{\"method\":\"GET\",\"path\":\"/x\",\"auth\":\"admin\"}", &r), "auth: ",
                   "bad auth");
    REFUSED(jp_request(client, "{\"method\":\"GET\",\"path\":\"/x\",\"form\":{\"a\":1}}", &r), "form: ",
                   "GET with form");
    REFUSED(jp_request(client, "{\"method\":\"POST\",\"path\":\"/x\",\"form\":{},\"json\":{}}", &r),
                   "json: ", "form and json");
    REFUSED(jp_request(client, "{\"method\":\"GET\",\"path\":\"/x\",\"query\":[1]}", &r), "query: ",
                   "query array");
    CHECK(stat_count("me") == 0 && stat_count("unknown") == 0, "refused requests were sent");

    char request[1024];
    snprintf(request, sizeof request, "{\"method\":\"GET\",\"path\":\"/rest/v1/me\",\"user_token\":\"%s\"}", token);
    CHECK(jp_request(client, request, &r) == JP_OK, "me with a user token");
    expect_ok(r, "\"username\":\"" USER_LOGIN "\"", "me");
    jp_response_free(r);
    CHECK(jp_request(client, "{\"method\":\"GET\",\"path\":\"/rest/v1/me\"}", &r) == JP_API_ERROR, "me partner");
    expect_error(r, JP_API_ERROR, "invalid_scope", NULL, "me with the partner token");
    CHECK(jp_response_http_status(r) == 403, "status %u", jp_response_http_status(r));
    jp_response_free(r);
    jp_request(client, "{\"method\":\"GET\",\"path\":\"/rest/v1/me\",\"auth\":\"none\"}", &r);
    expect_error(r, JP_API_ERROR, "authorization_required", NULL, "me without a token");
    jp_response_free(r);
    CHECK(jp_request(client,
                     "{\"method\":\"POST\",\"path\":\"/rest/v1.3/jpphp/provision\",\"query\":{\"pretty\":true},"
                     "\"form\":{\"local_user\":\"admin\",\"siteurl\":\"https://c-generic.example.com\","
                     "\"plan\":\"premium\"}}",
                     &r) == JP_OK,
          "provision through jp_request");
    expect_ok(r, "\"success\":true", "generic form");
    jp_response_free(r);
    CHECK(jp_request(client,
                     "{\"method\":\"POST\",\"path\":\"/rest/v1.3/jpphp/provision\",\"auth\":\"partner\","
                     "\"json\":{\"local_user\":\"admin\",\"siteurl\":\"https://c-generic-json.example.com\"}}",
                     &r) == JP_OK,
          "JSON body through jp_request");
    expect_ok(r, "\"success\":true", "generic json");
    jp_response_free(r);
    CHECK(jp_request(client, "{\"method\":\"DELETE\",\"path\":\"/rest/v1/nothing\"}", NULL) == JP_INVALID_RESPONSE,
          "unknown route");
    free(token);
    jp_client_free(client);
}

static void test_partner_endpoints(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    CHECK(jp_provision(client, "admin", "https://c-v12.example.com", "premium", NULL, NULL) == JP_OK, "provision");
    CHECK(jp_status_v12(client, "https://c-v12.example.com", &r) == JP_OK, "status v1.2");
    expect_ok(r, "\"plan\":\"premium\"", "status v1.2");
    CHECK(contains(jp_response_json(r), "\"has_pending_plan\":true"), "%s", str_or(jp_response_json(r)));
    jp_response_free(r);
    jp_status_v12(client, "c-nowhere.example.com", &r);
    expect_error(r, JP_API_ERROR, "unknown_blog", NULL, "status v1.2 unknown");
    jp_response_free(r);
    CHECK(jp_upgrade_paths(client, "c-v12.example.com", &r) == JP_OK, "upgrade paths");
    expect_ok(r, "\"plans\":[", "upgrade paths");
    jp_response_free(r);
    CHECK(jp_errors(client, false, &r) == JP_OK, "errors");
    expect_ok(r, "\"invalid_plan\":\"", "errors");
    jp_response_free(r);
    CHECK(jp_errors(client, true, &r) == JP_OK, "errors verbose");
    expect_ok(r, "\"http_status\":", "errors verbose");
    jp_response_free(r);
    CHECK(jp_partner_keys_verify(client, &r) == JP_OK, "verify");
    expect_ok(r, "\"client_id\":\"" PARTNER_ID "\"", "verify");
    jp_response_free(r);
    jp_client *bad = sandbox_client_for(PARTNER_ID, "wrong-secret");
    CHECK(jp_partner_keys_verify(bad, &r) == JP_TOKEN_ERROR, "verify with a wrong secret");
    jp_response_free(r);
    jp_client_free(bad);
    jp_client_free(client);
}

static void test_reporting(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    /* A key of its own, so that its activations are exactly the ones made here. */
    CHECK(jp_partner_key_new(client, "c-reporting", "{\"allowed_premium_plans\": 100}", &r) == JP_OK, "key");
    char *key_client_id = json_string(jp_response_json(r), "client_id");
    char *key_secret = json_string(jp_response_json(r), "client_secret");
    long key_id = json_number(jp_response_json(r), "id");
    jp_response_free(r);
    CHECK(key_client_id && key_secret && key_id > 0, "new key");
    if (!(key_client_id && key_secret && key_id > 0)) {
        free(key_client_id);
        free(key_secret);
        jp_client_free(client);
        return;
    }
    jp_client *reseller = sandbox_client_for(key_client_id, key_secret);
    for (int i = 0; i < 45; i++) {
        char site[64];
        snprintf(site, sizeof site, "https://c-page-%d.example.com", i);
        jp_code code = jp_provision(reseller, "admin", site, "premium", NULL, &r);
        CHECK(code == JP_OK, "provision %d: %s", i, str_or(jp_response_error_message(r)));
        jp_response_free(r);
    }
    char *token = user_token_of(client, USER_LOGIN);
    CHECK(jp_partner_details(client, token, &r) == JP_OK, "partner details");
    expect_ok(r, "\"keys\":[", "partner details");
    long partner = json_number(jp_response_json(r), "id");
    jp_response_free(r);
    char partner_id[32], key[32];
    snprintf(partner_id, sizeof partner_id, "%ld", partner);
    snprintf(key, sizeof key, "%ld", key_id);

    /* Every page, one at a time. */
    int pages = 0, items = 0;
    long total = -1;
    for (int page = 1; page < 10; page++) {
        char options[64];
        snprintf(options, sizeof options, "{\"per_page\":20,\"page\":%d}", page);
        jp_code code = jp_activations(client, token, partner_id, key, options, &r);
        CHECK(code == JP_OK, "page %d: %s", page, str_or(jp_response_error_message(r)));
        int here = count_of(jp_response_json(r), "\"site_url\":");
        total = json_number(jp_response_json(r), "total");
        jp_response_free(r);
        if (code != JP_OK || here == 0) break;
        pages++;
        items += here;
        if (items >= total) break;
    }
    CHECK(pages == 3 && items == 45 && total == 45, "pages %d, items %d, total %ld", pages, items, total);

    char options[64];
    snprintf(options, sizeof options, "{\"key_id\":%ld,\"scale\":\"year\"}", key_id);
    CHECK(jp_activations_summary(client, token, options, &r) == JP_OK, "summary");
    expect_ok(r, "\"total\":45", "summary");
    jp_response_free(r);
    CHECK(jp_invoices(client, token, partner_id, key, &r) == JP_OK, "invoices");
    expect_ok(r, "\"invoices\":[", "invoices");
    jp_response_free(r);
    CHECK(jp_upcoming_invoice(client, token, partner_id, key, &r) == JP_OK, "upcoming invoice");
    expect_ok(r, "\"status\":\"upcoming\"", "upcoming invoice");
    jp_response_free(r);

    jp_activations(client, token, "1", key, NULL, &r);
    expect_error(r, JP_API_ERROR, "rest_forbidden", NULL, "another partner");
    CHECK(jp_response_http_status(r) == 403, "403");
    jp_response_free(r);
    jp_invoices(client, token, partner_id, "999999", &r);
    expect_error(r, JP_API_ERROR, "invalid_key", NULL, "unknown key");
    jp_response_free(r);
    jp_activations(client, token, partner_id, key, "{\"activated_before\":\"someday\"}", &r);
    expect_error(r, JP_API_ERROR, "rest_invalid_param", NULL, "bad date");
    jp_response_free(r);
    jp_partner_details(client, "not-a-real-token", &r);
    expect_error(r, JP_API_ERROR, "invalid_token", NULL, "bad user token");
    CHECK(!contains(jp_response_error_message(r), "not-a-real-token"), "token in message");
    jp_response_free(r);
    free(token);
    free(key_client_id);
    free(key_secret);
    jp_client_free(reseller);
    jp_client_free(client);
}

static void test_oauth(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    char *url = (char *)0x1, *state = (char *)0x1;

    CHECK(jp_oauth_authorize_url(NULL, "{}", &url, &state) == JP_INVALID_ARGUMENT, "NULL client");
    CHECK(url == NULL && state == NULL, "outs cleared");
    CHECK(jp_oauth_authorize_url(client, "{\"redirect_uri\":\"" REDIRECT "\"}", NULL, &state) == JP_INVALID_ARGUMENT,
          "NULL url_out");
    CHECK(starts_with(jp_last_error_message(), "url_out: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_oauth_authorize_url(client, NULL, &url, &state) == JP_INVALID_ARGUMENT, "NULL options");
    CHECK(starts_with(jp_last_error_message(), "options_json: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_oauth_authorize_url(client, BAD_UTF8, &url, &state) == JP_INVALID_ARGUMENT, "UTF-8 options");
    CHECK(jp_oauth_authorize_url(client, "{}", &url, &state) == JP_INVALID_ARGUMENT, "no redirect_uri");
    CHECK(starts_with(jp_last_error_message(), "redirect_uri: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_oauth_authorize_url(client, "{\"redirect_uri\":\"" REDIRECT "\",\"response_type\":\"id_token\"}", &url,
                                 &state) == JP_INVALID_ARGUMENT,
          "bad response_type");
    CHECK(starts_with(jp_last_error_message(), "response_type: "), "%s", str_or(jp_last_error_message()));
    CHECK(jp_oauth_authorize_url(client, "{\"redirect_uri\":\"" REDIRECT "\",\"colour\":1}", &url, &state) ==
              JP_INVALID_ARGUMENT,
          "unknown option");
    CHECK(starts_with(jp_last_error_message(), "colour: "), "%s", str_or(jp_last_error_message()));

    /* Code flow. */
    CHECK(jp_oauth_authorize_url(client, "{\"redirect_uri\":\"" REDIRECT "\"}", &url, &state) == JP_OK, "authorize");
    CHECK(jp_last_error_message() == NULL, "no error after success");
    CHECK(state != NULL && strlen(state) == 32, "random state %s", str_or(state));
    CHECK(starts_with(url, sandbox_url) && contains(url, "/oauth2/authorize?client_id=" PARTNER_ID) &&
              contains(url, state),
          "url %s", str_or(url));
    char *location = location_of(url);
    CHECK(starts_with(location, REDIRECT "?code="), "location %s", str_or(location));
    CHECK(jp_oauth_parse_redirect(location, state, &r) == JP_OK, "parse redirect");
    CHECK(jp_response_http_status(r) == 0 && jp_response_attempts(r) == 0, "local call");
    char *code = json_string(jp_response_json(r), "code");
    CHECK(code != NULL, "code in %s", str_or(jp_response_json(r)));
    jp_response_free(r);
    jp_oauth_parse_redirect(location, "another-state", &r);
    expect_error(r, JP_INVALID_ARGUMENT, "state_mismatch", "state: ", "state mismatch");
    jp_response_free(r);
    CHECK(jp_oauth_exchange_code(client, code ? code : "x", REDIRECT, &r) == JP_OK, "exchange: %s",
          str_or(jp_response_error_message(r)));
    char *token = json_string(jp_response_json(r), "access_token");
    jp_response_free(r);
    CHECK(jp_oauth_token_info(client, token ? token : "x", &r) == JP_OK, "token info");
    expect_ok(r, "\"client_id\":\"" PARTNER_ID "\"", "token info");
    jp_response_free(r);
    jp_oauth_exchange_code(client, code ? code : "x", REDIRECT, &r);
    expect_error(r, JP_API_ERROR, "invalid_grant", NULL, "code used twice");
    jp_response_free(r);
    free(token);
    free(code);
    free(location);

    /* Refusal. */
    char denied[4200];
    snprintf(denied, sizeof denied, "%s&deny=1", url);
    location = location_of(denied);
    jp_oauth_parse_redirect(location, state, &r);
    expect_error(r, JP_API_ERROR, "access_denied", NULL, "access denied");
    jp_response_free(r);
    free(location);
    jp_string_free(url);
    jp_string_free(state);

    /* Implicit flow with the caller's state. */
    CHECK(jp_oauth_authorize_url(client,
                                 "{\"redirect_uri\":\"" REDIRECT "\",\"response_type\":\"token\",\"scope\":\"global\","
                                 "\"state\":\"c-state-1\"}",
                                 &url, &state) == JP_OK,
          "authorize token");
    CHECK(state && strcmp(state, "c-state-1") == 0, "state %s", str_or(state));
    location = location_of(url);
    CHECK(contains(location, "#access_token="), "location %s", str_or(location));
    CHECK(jp_oauth_parse_redirect(location, state, &r) == JP_OK, "parse fragment");
    CHECK(contains(jp_response_json(r), "\"expires_in\":1209600") &&
              contains(jp_response_json(r), "\"token_type\":\"bearer\""),
          "%s", str_or(jp_response_json(r)));
    jp_response_free(r);
    free(location);
    jp_string_free(url);
    jp_string_free(state);

    REFUSED(jp_oauth_parse_redirect(NULL, "s", &r), "redirect_url: must not be NULL", "parse NULL");
    REFUSED(jp_oauth_parse_redirect(REDIRECT "?code=a&state=s", BAD_UTF8, &r),
                   "expected_state: is not valid UTF-8", "parse UTF-8");
    REFUSED(jp_oauth_parse_redirect(REDIRECT "?nothing=1&state=s", "s", &r), "redirect_url: ",
                   "parse no code");
    CHECK(jp_oauth_parse_redirect(REDIRECT "?code=a&state=s", "s", NULL) == JP_OK, "parse without out");

    /* A token of another application. */
    jp_client *other = sandbox_client_for(OTHER_ID, OTHER_SECRET);
    char *foreign = user_token_of(other, "partner-" OTHER_ID);
    CHECK(jp_oauth_token_info(other, foreign, NULL) == JP_OK, "own token");
    CHECK(jp_oauth_token_info(client, foreign, &r) == JP_API_ERROR, "foreign token");
    expect_error(r, JP_API_ERROR, "invalid_token", NULL, "foreign token");
    CHECK(!contains(jp_response_error_message(r), foreign), "token in message");
    jp_response_free(r);
    jp_oauth_password_grant(client, USER_LOGIN, "wrong-password", &r);
    expect_error(r, JP_API_ERROR, "invalid_grant", NULL, "wrong password");
    CHECK(!contains(jp_response_error_message(r), "wrong-password"), "password in message");
    jp_response_free(r);
    free(foreign);
    jp_client_free(other);
    jp_client_free(client);
}

static void test_licensing(void) {
    jp_client *client = new_client();
    jp_response *r = NULL;
    CHECK(jp_license_issue(client, "jetpack-backup-daily", &r) == JP_OK, "issue");
    expect_ok(r, "\"product\":\"jetpack-backup-daily\"", "issue");
    char *key = json_string(jp_response_json(r), "license_key");
    jp_response_free(r);
    if (key == NULL) {
        CHECK(0, "no license key");
        jp_client_free(client);
        return;
    }
    CHECK(jp_license_status(client, key, &r) == JP_OK, "status");
    expect_ok(r, key, "license status");
    jp_response_free(r);
    jp_license_attach(client, key, "https://c-license.example.com", &r);
    expect_error(r, JP_API_ERROR, "unknown_site", NULL, "attach unknown site");
    CHECK(jp_response_http_status(r) == 404, "404");
    CHECK(contains(jp_response_json(r), "\"code\":\"unknown_site\""), "error body %s", str_or(jp_response_json(r)));
    jp_response_free(r);
    CHECK(jp_site_connection(client, "https://c-license.example.com", "admin", &r) == JP_OK, "site connection");
    expect_ok(r, "\"code\":\"success\"", "site connection");
    jp_response_free(r);
    CHECK(jp_site_connection(client, "https://c-license.example.com", "admin", &r) == JP_OK, "again");
    expect_ok(r, "\"code\":\"already_connected\"", "site connection again");
    jp_response_free(r);
    CHECK(jp_license_attach(client, key, "c-license.example.com", &r) == JP_OK, "attach");
    jp_response_free(r);
    jp_license_attach(client, key, "c-license.example.com", &r);
    expect_error(r, JP_API_ERROR, "license_already_attached", NULL, "attach twice");
    jp_response_free(r);
    CHECK(jp_license_detach(client, key, "{\"cancellation_email\":false}", &r) == JP_OK, "detach");
    jp_response_free(r);
    jp_license_detach(client, key, NULL, &r);
    expect_error(r, JP_API_ERROR, "license_not_attached", NULL, "detach twice");
    jp_response_free(r);
    CHECK(jp_license_revoke(client, key, &r) == JP_OK, "revoke");
    CHECK(!contains(jp_response_json(r), "\"revoked_at\":null"), "%s", str_or(jp_response_json(r)));
    jp_response_free(r);
    jp_license_revoke(client, key, &r);
    expect_error(r, JP_API_ERROR, "license_revoked", NULL, "revoke twice");
    jp_response_free(r);
    jp_license_issue(client, "no-such-product", &r);
    expect_error(r, JP_API_ERROR, "invalid_product", NULL, "invalid product");
    CHECK(jp_response_http_status(r) == 400, "400");
    jp_response_free(r);
    CHECK(jp_product_families(client, &r) == JP_OK, "families");
    expect_ok(r, "\"products\":[", "families");
    jp_response_free(r);
    char *token = user_token_of(client, USER_LOGIN);
    CHECK(jp_licensing_partner(client, token, &r) == JP_OK, "licensing partner");
    expect_ok(r, "\"oauth2_token\":", "licensing partner");
    jp_response_free(r);
    jp_licensing_partner(client, "not-a-token", &r);
    expect_error(r, JP_API_ERROR, "invalid_token", NULL, "licensing partner bad token");
    jp_response_free(r);
    free(token);
    free(key);
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
    test_builder(argv[2], argv[3]);
    test_null_response();
    test_site_identifier();
    test_argument_errors();
    test_round_trip();
    test_token_error();
    test_warm();
    test_warm_in_background();
    test_connection_errors();
    test_built_clients(argv[2]);
    test_faults();
    test_shared_between_clients();
    test_threads();
    test_fork();
    test_log_callback();
    test_api_null_arguments();
    test_generic_request();
    test_partner_endpoints();
    test_reporting();
    test_oauth();
    test_licensing();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
