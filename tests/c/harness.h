/*
 * What the C test programs share: the check macro and counters, small string helpers, and a minimal
 * HTTP client for the sandbox's control endpoints (faults, stats). Each program is one translation
 * unit that includes this once.
 */
#ifndef JP_TEST_HARNESS_H
#define JP_TEST_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static inline const char *str_or(const char *s) { return s ? s : "(null)"; }

static inline int starts_with(const char *s, const char *prefix) {
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline int contains(const char *s, const char *needle) { return s != NULL && strstr(s, needle) != NULL; }

/* ---- clients of the sandbox ---- */

/* http://127.0.0.1:PORT of a loopback port where nothing listens. */
static inline void closed_port_url(char *url, size_t size) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    snprintf(url, size, "http://127.0.0.1:%d", ntohs(addr.sin_port));
}

/* A builder for the partner `id`/`secret` aimed at the sandbox; NULL (a failure counted) if refused.
   Release it with jp_client_builder_free. */
static inline jp_client_builder *sandbox_builder_for(const char *id, const char *secret) {
    jp_client_builder *builder = NULL;
    jp_code code = jp_client_builder_new(id, secret, &builder);
    CHECK(code == JP_OK && builder != NULL, "jp_client_builder_new: %u %s", code, str_or(jp_last_error_message()));
    code = jp_client_builder_set_api_base(builder, sandbox_url);
    CHECK(code == JP_OK, "jp_client_builder_set_api_base: %s", str_or(jp_last_error_message()));
    return builder;
}

static inline jp_client_builder *sandbox_builder(void) { return sandbox_builder_for(PARTNER_ID, PARTNER_SECRET); }

/* A client made by `builder`, which stays the caller's; NULL (a failure counted) if refused. */
static inline jp_client *build_client(const jp_client_builder *builder) {
    jp_client *client = NULL;
    jp_code code = jp_client_builder_build(builder, &client);
    CHECK(code == JP_OK && client != NULL, "jp_client_builder_build: %u %s", code, str_or(jp_last_error_message()));
    return client;
}

/* A client of the partner `id`/`secret` on the sandbox, with the default settings otherwise. */
static inline jp_client *sandbox_client_for(const char *id, const char *secret) {
    jp_client_builder *builder = sandbox_builder_for(id, secret);
    jp_client *client = build_client(builder);
    jp_client_builder_free(builder);
    return client;
}

/* A client of the demo partner on the sandbox. */
static inline jp_client *new_client(void) { return sandbox_client_for(PARTNER_ID, PARTNER_SECRET); }

/* ---- a minimal HTTP client for the sandbox's control endpoints ---- */

/* Sends one request to the sandbox and returns the reply body (malloc'd), or NULL. */
static inline char *control(const char *method, const char *path, const char *body) {
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

static inline void fault(const char *rule_json) {
    char *reply = control("POST", "/__sandbox/faults", rule_json);
    CHECK(contains(reply, "\"ok\":true"), "fault %s -> %s", rule_json, str_or(reply));
    free(reply);
}

static inline void clear_faults(void) { free(control("DELETE", "/__sandbox/faults", NULL)); }

static inline void reset_stats(void) { free(control("POST", "/__sandbox/stats/reset", "")); }

#endif
