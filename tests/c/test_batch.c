/*
 * The batch C ABI against the sandbox: argument checks, a thousand provisions with injected faults
 * polled with jp_batch_next (each site provisioned exactly once, per the sandbox's request log), a
 * re-run through the journal that sends nothing, and jp_batch_run's callback stopping a batch.
 * A child process killed with SIGKILL in the middle of a journaled batch, then the batch run
 * again. Run under valgrind by tests/c/run.sh: no errors, no leaks.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <sys/wait.h>

#include "harness.h"

#define ITEMS 1000

static int count_of(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* Successful provisions in the sandbox's request log. */
static int provisions_ok(void) {
    char *log = control("GET", "/__sandbox/requests?endpoint=provision", NULL);
    int n = count_of(log, "\"status\":200");
    free(log);
    return n;
}

/* A client of the demo partner on the sandbox with an overall time limit of 2 s. */
static jp_client *hasty_client(void) {
    jp_client_builder *builder = sandbox_builder();
    CHECK(jp_client_builder_set_timeout_ms(builder, 2000) == JP_OK, "timeout");
    jp_client *c = build_client(builder);
    jp_client_builder_free(builder);
    return c;
}

static void test_arguments(jp_client *c) {
    jp_batch *b = (jp_batch *)0x1;
    CHECK(jp_batch_new(NULL, &b) == JP_INVALID_ARGUMENT && b == NULL, "NULL client");
    CHECK(starts_with(jp_last_error_message(), "client"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_batch_new(c, NULL) == JP_INVALID_ARGUMENT, "NULL out");
    CHECK(jp_batch_new(c, &b) == JP_OK && b != NULL, "new");
    CHECK(jp_batch_set_concurrency(b, 0) == JP_INVALID_ARGUMENT, "concurrency 0");
    CHECK(jp_batch_set_concurrency(b, JP_BATCH_MAX_CONCURRENCY + 1) == JP_INVALID_ARGUMENT, "65");
    CHECK(starts_with(jp_last_error_message(), "concurrency"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_batch_set_concurrency(NULL, 4) == JP_INVALID_ARGUMENT, "NULL batch");
    CHECK(jp_batch_set_journal(b, BAD_UTF8) == JP_INVALID_ARGUMENT, "journal not UTF-8");
    CHECK(jp_batch_add_provision(b, BAD_UTF8, "admin", "https://x.example/", NULL, NULL) == JP_INVALID_ARGUMENT,
          "key not UTF-8");
    CHECK(starts_with(jp_last_error_message(), "key"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_batch_add_provision(b, NULL, "admin", NULL, NULL, NULL) == JP_INVALID_ARGUMENT, "NULL siteurl");
    CHECK(jp_batch_add_provision(b, NULL, "admin", "https://x.example/", NULL, "[1]") == JP_INVALID_ARGUMENT,
          "options not an object");
    CHECK(jp_batch_add_cancel(b, NULL, NULL, NULL, NULL) == JP_INVALID_ARGUMENT, "NULL site");
    char *out = (char *)0x1;
    CHECK(jp_batch_next(b, 0, &out) == JP_INVALID_ARGUMENT && out == NULL, "next before start");
    CHECK(jp_batch_run(b, NULL, NULL) == JP_INVALID_ARGUMENT, "NULL callback");
    CHECK(!jp_batch_finished(b) && !jp_batch_finished(NULL), "not finished");
    /* An invalid item is a failed result, not a request. */
    CHECK(jp_batch_add_provision(b, "bad", "admin", "not a url", "premium", NULL) == JP_OK, "add");
    CHECK(jp_batch_start(b) == JP_OK, "start");
    CHECK(jp_batch_start(b) == JP_INVALID_ARGUMENT, "second start");
    CHECK(jp_batch_add_cancel(b, NULL, "x.example", NULL, NULL) == JP_INVALID_ARGUMENT, "add after start");
    CHECK(jp_batch_next(b, JP_BATCH_WAIT_FOREVER, &out) == JP_OK && out != NULL, "a result");
    CHECK(contains(out, "\"outcome\":\"failed\"") && contains(out, "\"code\":\"invalid_argument\""), "%s",
          str_or(out));
    jp_string_free(out);
    CHECK(jp_batch_next(b, JP_BATCH_WAIT_FOREVER, &out) == JP_OK && out == NULL, "no more");
    CHECK(jp_batch_finished(b), "finished");
    jp_batch_free(b);
    jp_batch_free(NULL);
}

static void add_items(jp_batch *b) {
    char key[32], site[64];
    for (int i = 0; i < ITEMS; i++) {
        snprintf(key, sizeof key, "c-order-%d", i);
        snprintf(site, sizeof site, "https://c-batch-%s-%d.example/", i % 25 == 3 ? "lost" : "ok", i);
        jp_code rc = jp_batch_add_provision(b, key, "admin", site, i % 2 ? "premium" : "jetpack-scan",
                                            i % 10 == 0 ? "{\"partner_tracking_id\": \"c-batch\"}" : NULL);
        if (rc != JP_OK) CHECK(rc == JP_OK, "add %d", i);
    }
}

/* Successful provisions of the sites whose URL contains `needle`. */
static int provisions_ok_of(const char *needle) {
    char *log = control("GET", "/__sandbox/requests?endpoint=provision", NULL);
    int n = 0;
    for (const char *p = log; p && (p = strstr(p, "{\"seq\"")) != NULL; p++) {
        const char *end = strchr(p, '}');
        const char *site = strstr(p, needle), *ok = strstr(p, "\"status\":200");
        if (end && site && site < end && ok && ok < end) n++;
    }
    free(log);
    return n;
}

static void add_kill_items(jp_batch *b) {
    char key[32], site[64];
    for (int i = 0; i < ITEMS; i++) {
        snprintf(key, sizeof key, "k-order-%d", i);
        snprintf(site, sizeof site, "https://c-kill-%s-%d.example/", i % 40 == 9 ? "lost" : "ok", i);
        jp_batch_add_provision(b, key, "admin", site, "premium", NULL);
    }
}

/*
 * A child process runs a journaled batch and is killed with SIGKILL once 250 results are in;
 * this process then runs the same items with the same journal: every site ends provisioned
 * exactly once. Runs first, before this process starts any library thread.
 */
static void test_killed_run(const char *journal) {
    fault("{\"endpoint\": \"provision\", \"site\": \"c-kill\", \"kind\": \"delay\", \"delay_ms\": 20, \"count\": 0}");
    fault("{\"endpoint\": \"provision\", \"site\": \"c-kill-lost\", \"kind\": \"reset\", \"count\": 0}");
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        jp_client *c = hasty_client();
        jp_batch *b = NULL;
        jp_batch_new(c, &b);
        jp_batch_set_concurrency(b, 16);
        jp_batch_set_journal(b, journal);
        add_kill_items(b);
        jp_batch_start(b);
        char *r = NULL;
        while (jp_batch_next(b, JP_BATCH_WAIT_FOREVER, &r) == JP_OK && r != NULL) {
            jp_string_free(r);
            if (write(fds[1], "r", 1) != 1) break;
        }
        _exit(0);
    }
    close(fds[1]);
    int seen = 0;
    char byte;
    while (seen < 250 && read(fds[0], &byte, 1) == 1) seen++;
    CHECK(seen == 250, "the child ended after %d results", seen);
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    close(fds[0]);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed");
    CHECK(provisions_ok_of("c-kill") < ITEMS, "the kill came too late");

    jp_client *c = hasty_client();
    jp_batch *b = NULL;
    CHECK(jp_batch_new(c, &b) == JP_OK, "new");
    jp_batch_set_concurrency(b, 16);
    CHECK(jp_batch_set_journal(b, journal) == JP_OK, "journal");
    add_kill_items(b);
    CHECK(jp_batch_start(b) == JP_OK, "start: %s", str_or(jp_last_error_message()));
    int already = 0, good = 0, results = 0;
    char *r = NULL;
    while (jp_batch_next(b, JP_BATCH_WAIT_FOREVER, &r) == JP_OK && r != NULL) {
        results++;
        if (contains(r, "\"outcome\":\"already_done\"")) already++;
        if (contains(r, "\"outcome\":\"done\"") || contains(r, "\"outcome\":\"confirmed\"") ||
            contains(r, "\"outcome\":\"already_done\""))
            good++;
        jp_string_free(r);
    }
    jp_batch_free(b);
    jp_client_free(c);
    CHECK(results == ITEMS && good == ITEMS, "%d results, %d in place", results, good);
    CHECK(already >= 250, "%d already done", already);
    CHECK(provisions_ok_of("c-kill") == ITEMS, "%d successful provisions for %d sites", provisions_ok_of("c-kill"),
          ITEMS);
    clear_faults();
}

static void test_thousand(jp_client *c, const char *journal) {
    clear_faults();
    free(control("DELETE", "/__sandbox/requests", NULL));
    /* Replies cut after processing (the status check must find them), and pushback. */
    fault("{\"endpoint\": \"provision\", \"site\": \"c-batch-lost\", \"kind\": \"reset\", \"count\": 0}");
    fault("{\"endpoint\": \"provision\", \"kind\": \"status\", \"status\": 429, \"retry_after\": 1, \"count\": 3}");
    jp_batch *b = NULL;
    CHECK(jp_batch_new(c, &b) == JP_OK, "new");
    CHECK(jp_batch_set_concurrency(b, 16) == JP_OK, "concurrency");
    CHECK(jp_batch_set_journal(b, journal) == JP_OK, "journal");
    add_items(b);
    CHECK(jp_batch_start(b) == JP_OK, "start: %s", str_or(jp_last_error_message()));
    int done = 0, confirmed = 0, other = 0, results = 0;
    while (!jp_batch_finished(b)) {
        char *r = NULL;
        CHECK(jp_batch_next(b, 50, &r) == JP_OK, "next");
        if (!r) continue;
        results++;
        if (contains(r, "\"outcome\":\"done\"")) done++;
        else if (contains(r, "\"outcome\":\"confirmed\"")) confirmed++;
        else {
            other++;
            fprintf(stderr, "unexpected result %s\n", r);
        }
        jp_string_free(r);
    }
    jp_batch_free(b);
    CHECK(results == ITEMS, "%d results", results);
    CHECK(other == 0, "%d not done", other);
    CHECK(confirmed == ITEMS / 25, "%d confirmed", confirmed);
    CHECK(done + confirmed == ITEMS, "%d done", done);
    CHECK(provisions_ok() == ITEMS, "%d successful provisions on the server", provisions_ok());
    clear_faults();

    /* The same items and journal: nothing is sent. */
    b = NULL;
    CHECK(jp_batch_new(c, &b) == JP_OK, "new");
    CHECK(jp_batch_set_journal(b, journal) == JP_OK, "journal");
    add_items(b);
    CHECK(jp_batch_start(b) == JP_OK, "start");
    int already = 0;
    char *r = NULL;
    while (jp_batch_next(b, JP_BATCH_WAIT_FOREVER, &r) == JP_OK && r != NULL) {
        if (contains(r, "\"outcome\":\"already_done\"")) already++;
        jp_string_free(r);
    }
    jp_batch_free(b);
    CHECK(already == ITEMS, "%d already done", already);
    CHECK(provisions_ok() == ITEMS, "a re-run sent provisions");
}

static void test_reconcile(jp_client *c) {
    const char *list = "[{\"site\": \"https://c-batch-ok-1.example/\", \"plan\": \"premium\"},"
                       " {\"site\": \"https://c-batch-none.example/\", \"plan\": \"premium\", \"key\": \"o-9\"}]";
    char *report = (char *)0x1;
    CHECK(jp_reconcile(NULL, list, NULL, &report) == JP_INVALID_ARGUMENT && report == NULL, "NULL client");
    CHECK(jp_reconcile(c, "{}", NULL, &report) == JP_INVALID_ARGUMENT, "not a list");
    CHECK(starts_with(jp_last_error_message(), "expected_json"), "%s", str_or(jp_last_error_message()));
    CHECK(jp_reconcile(c, list, "{\"colour\": 1}", &report) == JP_INVALID_ARGUMENT, "unknown option");
    CHECK(jp_reconcile(c, BAD_UTF8, NULL, &report) == JP_INVALID_ARGUMENT, "not UTF-8");
    CHECK(jp_reconcile(c, list, NULL, NULL) == JP_INVALID_ARGUMENT, "NULL out");
    CHECK(jp_reconcile(c, list, "{\"concurrency\": 2}", &report) == JP_OK, "%s", str_or(jp_last_error_message()));
    /* c-batch-ok-1 got premium above (pending: never connected); c-batch-none has nothing. */
    CHECK(contains(report, "\"missing\":1") && contains(report, "\"pending\":1"), "%s", str_or(report));
    jp_string_free(report);
    CHECK(jp_reconcile(c, list, "{\"fix\": true}", &report) == JP_OK, "%s", str_or(jp_last_error_message()));
    CHECK(contains(report, "\"fixed\":1") && contains(report, "\"unresolved\":0"), "%s", str_or(report));
    jp_string_free(report);
}

struct seen {
    int results;
    int not_cancels;
    int stop_after;
};

static bool on_result(void *user_data, const char *result_json) {
    struct seen *seen = user_data;
    seen->results++;
    if (!contains(result_json, "\"operation\":\"cancel\"")) seen->not_cancels++;
    return seen->results < seen->stop_after;
}

static void test_callback(jp_client *c) {
    jp_batch *b = NULL;
    CHECK(jp_batch_new(c, &b) == JP_OK, "new");
    CHECK(jp_batch_set_concurrency(b, 2) == JP_OK, "concurrency");
    char site[64];
    for (int i = 0; i < 200; i++) {
        snprintf(site, sizeof site, "c-batch-ok-%d.example", i);
        jp_batch_add_cancel(b, NULL, site, i % 2 ? NULL : "jetpack-scan", NULL);
    }
    struct seen seen = {0, 0, 5};
    CHECK(jp_batch_run(b, on_result, &seen) == JP_OK, "run: %s", str_or(jp_last_error_message()));
    /* Stopped after the fifth: the calls in flight still report, nothing new starts. */
    CHECK(seen.results >= 5 && seen.results < 20, "%d results", seen.results);
    CHECK(seen.not_cancels == 0, "%d results of another operation", seen.not_cancels);
    jp_batch_free(b);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SANDBOX_URL JOURNAL_PATH KILL_JOURNAL_PATH\n", argv[0]);
        return 2;
    }
    sandbox_url = argv[1];
    const char *colon = strrchr(sandbox_url, ':');
    sandbox_port = colon ? atoi(colon + 1) : 0;
    remove(argv[2]);
    remove(argv[3]);
    test_killed_run(argv[3]);
    jp_client *c = new_client();
    test_arguments(c);
    test_thousand(c, argv[2]);
    test_reconcile(c);
    test_callback(c);
    jp_client_free(c);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
