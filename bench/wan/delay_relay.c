/*
 * delay_relay: a TCP relay on 127.0.0.1 that makes loopback look like a wide-area link,
 * and counts the round trips that cross it.
 *
 *   delay_relay UPSTREAM_PORT DELAY_US
 *
 * Listens on 127.0.0.1, on a port chosen by the kernel, and forwards every connection to
 * 127.0.0.1:UPSTREAM_PORT. Prints one line on stdout once ready:
 *
 *   listen 127.0.0.1:PORT stats 127.0.0.1:PORT delay_us D
 *
 * What a client sees through it:
 *   - every byte arrives DELAY_US after it was sent, in each direction, in order;
 *   - the TCP handshake costs one round trip: connect() returns at once on loopback, so the
 *     client's first bytes are held until 3 * DELAY_US after the accept (SYN out, SYN-ACK
 *     back, data out), where a real link would deliver them;
 *   - a close (FIN) travels with the same delay, after the data sent before it; a reset drops
 *     the connection at once.
 *
 * Counting: a connection accepted is one round trip (its handshake); a "turn" is one more: the
 * first bytes from the server after bytes from the client, on a connection whose client has
 * not closed its side (so a TLS close_notify answered after the client left is no turn). A
 * connection to the stats port answers, and closes:
 *
 *   {"connections":N,"open":N,"turns":N,"bytes_up":N,"bytes_down":N}
 *
 * One thread, epoll, a timerfd armed for the earliest byte due. Each closed connection is logged
 * on stderr (id, turns, bytes, lifetime). Stops on SIGTERM or SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF 65536

struct chunk {
    struct chunk *next;
    uint64_t due_ns;
    size_t len, off;
    unsigned char data[];
};

/* One direction of a connection: bytes read from in_fd, written to out_fd when due. */
struct direction {
    int in_fd, out_fd;
    struct chunk *head, *tail;
    uint64_t last_due_ns; /* keeps delivery in order */
    int eof;              /* EOF (or an error) read from in_fd */
    uint64_t eof_due_ns;  /* when the FIN is passed on */
    int shut;             /* shutdown(out_fd, SHUT_WR) done */
    int blocked;          /* out_fd would block: wait for EPOLLOUT */
    uint64_t bytes;
};

struct conn;
struct endpoint {
    struct conn *conn;
    int is_client;
};

struct conn {
    struct conn *next;
    long id;
    int cfd, ufd;
    struct endpoint client_end, upstream_end;
    struct direction up;   /* client -> server */
    struct direction down; /* server -> client */
    uint64_t accepted_ns;
    int last_was_up;
    long turns;
    int dead;
};

static uint64_t delay_ns;
static int epfd, timer_fd, listen_fd, stats_fd;
static struct sockaddr_in upstream;
static struct conn *conns;
static long next_id = 1;
static struct {
    long connections, open, turns;
    uint64_t bytes_up, bytes_down;
} totals;
static volatile sig_atomic_t stopping;

static int tag_listen, tag_stats, tag_timer; /* addresses used as epoll tags */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int listen_on_loopback(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(fd, 512) < 0) die("listen");
    return fd;
}

static int port_of(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname");
    return ntohs(a.sin_port);
}

static void watch(int op, int fd, uint32_t events, void *tag) {
    struct epoll_event ev = {.events = events, .data.ptr = tag};
    if (epoll_ctl(epfd, op, fd, &ev) < 0) die("epoll_ctl");
}

/* Interest of one socket: readable while its side is open, writable while output waits. */
static void update_interest(struct conn *c, int is_client) {
    struct direction *reading = is_client ? &c->up : &c->down;
    struct direction *writing = is_client ? &c->down : &c->up;
    uint32_t ev = 0;
    if (!reading->eof) ev |= EPOLLIN;
    if (writing->blocked) ev |= EPOLLOUT;
    watch(EPOLL_CTL_MOD, is_client ? c->cfd : c->ufd, ev, is_client ? &c->client_end : &c->upstream_end);
}

static void free_chunks(struct direction *d) {
    while (d->head) {
        struct chunk *n = d->head->next;
        free(d->head);
        d->head = n;
    }
    d->tail = NULL;
}

static void accept_clients(uint64_t now) {
    for (;;) {
        int cfd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) perror("accept4");
            return;
        }
        /* Loopback connect: immediate; a failure drops the client, as a dead server would. */
        int ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (ufd < 0 || connect(ufd, (struct sockaddr *)&upstream, sizeof upstream) < 0) {
            perror("connect upstream");
            if (ufd >= 0) close(ufd);
            close(cfd);
            continue;
        }
        fcntl(ufd, F_SETFL, fcntl(ufd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

        struct conn *c = calloc(1, sizeof *c);
        if (!c) die("calloc");
        c->id = next_id++;
        c->cfd = cfd;
        c->ufd = ufd;
        c->client_end = (struct endpoint){c, 1};
        c->upstream_end = (struct endpoint){c, 0};
        c->up.in_fd = cfd;
        c->up.out_fd = ufd;
        c->down.in_fd = ufd;
        c->down.out_fd = cfd;
        c->accepted_ns = now;
        /* The handshake's round trip: nothing from the client reaches the server earlier. */
        c->up.last_due_ns = now + 3 * delay_ns;
        c->next = conns;
        conns = c;
        totals.connections++;
        totals.open++;
        watch(EPOLL_CTL_ADD, cfd, EPOLLIN, &c->client_end);
        watch(EPOLL_CTL_ADD, ufd, EPOLLIN, &c->upstream_end);
    }
}

static void answer_stats(void) {
    for (;;) {
        int fd = accept4(stats_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) return;
        char line[256];
        int n = snprintf(line, sizeof line,
                         "{\"connections\":%ld,\"open\":%ld,\"turns\":%ld,\"bytes_up\":%llu,\"bytes_down\":%llu}\n",
                         totals.connections, totals.open, totals.turns, (unsigned long long)totals.bytes_up,
                         (unsigned long long)totals.bytes_down);
        if (send(fd, line, (size_t)n, MSG_NOSIGNAL) < 0) perror("stats send");
        close(fd);
    }
}

/* Reads what is available on one side and queues it for delivery DELAY later. */
static void read_side(struct conn *c, int is_client, uint64_t now) {
    struct direction *d = is_client ? &c->up : &c->down;
    static unsigned char buf[READ_BUF];
    while (!d->eof) {
        ssize_t n = read(d->in_fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { /* a reset: the connection is gone both ways */
            c->dead = 1;
            break;
        }
        if (n == 0) { /* EOF: passed on as a FIN after the data before it */
            d->eof = 1;
            d->eof_due_ns = max_u64(now + delay_ns, d->last_due_ns);
            update_interest(c, is_client);
            break;
        }
        struct chunk *ch = malloc(sizeof *ch + (size_t)n);
        if (!ch) die("malloc");
        ch->next = NULL;
        ch->len = (size_t)n;
        ch->off = 0;
        memcpy(ch->data, buf, (size_t)n);
        ch->due_ns = max_u64(now + delay_ns, d->last_due_ns);
        d->last_due_ns = ch->due_ns;
        if (d->tail) d->tail->next = ch;
        else d->head = ch;
        d->tail = ch;
        d->bytes += (uint64_t)n;
        if (is_client) {
            totals.bytes_up += (uint64_t)n;
            c->last_was_up = 1;
        } else {
            totals.bytes_down += (uint64_t)n;
            if (c->last_was_up && !c->up.eof) {
                c->turns++;
                totals.turns++;
            }
            c->last_was_up = 0;
        }
    }
}

/* Writes every chunk that is due; passes the FIN on once the data before it is out. */
static void flush_due(struct conn *c, struct direction *d, int to_client, uint64_t now) {
    while (d->head && d->head->due_ns <= now) {
        struct chunk *ch = d->head;
        ssize_t n = send(d->out_fd, ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!d->blocked) {
                    d->blocked = 1;
                    update_interest(c, to_client);
                }
                return;
            }
            c->dead = 1; /* the receiver is gone: drop the whole connection */
            return;
        }
        ch->off += (size_t)n;
        if (ch->off < ch->len) continue;
        d->head = ch->next;
        if (!d->head) d->tail = NULL;
        free(ch);
    }
    if (d->blocked) {
        d->blocked = 0;
        update_interest(c, to_client);
    }
    if (!d->head && d->eof && !d->shut && d->eof_due_ns <= now) {
        shutdown(d->out_fd, SHUT_WR);
        d->shut = 1;
    }
}

static void close_conn(struct conn *c, uint64_t now) {
    fprintf(stderr, "conn %ld turns %ld up %llu down %llu ms %.1f%s\n", c->id, c->turns,
            (unsigned long long)c->up.bytes, (unsigned long long)c->down.bytes,
            (double)(now - c->accepted_ns) / 1e6, c->dead ? " (reset)" : "");
    close(c->cfd);
    close(c->ufd);
    free_chunks(&c->up);
    free_chunks(&c->down);
    totals.open--;
    free(c);
}

/* Delivers what is due, reaps finished connections, arms the timer for the next due time. */
static void service(uint64_t now) {
    uint64_t next = 0;
    struct conn **link = &conns;
    while (*link) {
        struct conn *c = *link;
        flush_due(c, &c->up, 0, now);
        if (!c->dead) flush_due(c, &c->down, 1, now);
        if (c->dead || (c->up.shut && c->down.shut)) {
            *link = c->next;
            close_conn(c, now);
            continue;
        }
        struct direction *ds[2] = {&c->up, &c->down};
        for (int i = 0; i < 2; i++) {
            uint64_t due = 0;
            if (ds[i]->head && !ds[i]->blocked) due = ds[i]->head->due_ns;
            else if (!ds[i]->head && ds[i]->eof && !ds[i]->shut) due = ds[i]->eof_due_ns;
            if (due && (!next || due < next)) next = due;
        }
        link = &c->next;
    }
    struct itimerspec its = {0};
    if (next) {
        its.it_value.tv_sec = (time_t)(next / 1000000000u);
        its.it_value.tv_nsec = (long)(next % 1000000000u);
    }
    if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) die("timerfd_settime");
}

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: delay_relay UPSTREAM_PORT DELAY_US\n");
        return 2;
    }
    char *end = NULL;
    long up_port = strtol(argv[1], &end, 10);
    if (!end || *end || up_port <= 0 || up_port > 65535) {
        fprintf(stderr, "delay_relay: bad port %s\n", argv[1]);
        return 2;
    }
    long long delay_us = strtoll(argv[2], &end, 10);
    if (!end || *end || delay_us < 0 || delay_us > 10000000) {
        fprintf(stderr, "delay_relay: bad delay %s (microseconds, 0..10000000)\n", argv[2]);
        return 2;
    }
    delay_ns = (uint64_t)delay_us * 1000u;
    upstream.sin_family = AF_INET;
    upstream.sin_port = htons((uint16_t)up_port);
    upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd < 0 || timer_fd < 0) die("epoll/timerfd");
    listen_fd = listen_on_loopback();
    stats_fd = listen_on_loopback();
    watch(EPOLL_CTL_ADD, listen_fd, EPOLLIN, &tag_listen);
    watch(EPOLL_CTL_ADD, stats_fd, EPOLLIN, &tag_stats);
    watch(EPOLL_CTL_ADD, timer_fd, EPOLLIN, &tag_timer);
    printf("listen 127.0.0.1:%d stats 127.0.0.1:%d delay_us %lld\n", port_of(listen_fd), port_of(stats_fd),
           delay_us);
    fflush(stdout);

    struct epoll_event evs[64];
    while (!stopping) {
        int n = epoll_wait(epfd, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        uint64_t now = now_ns();
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == &tag_listen) {
                accept_clients(now);
            } else if (tag == &tag_stats) {
                answer_stats();
            } else if (tag == &tag_timer) {
                uint64_t expirations;
                if (read(timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("timerfd read");
            } else {
                struct endpoint *e = tag;
                if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !e->conn->dead)
                    read_side(e->conn, e->is_client, now);
                /* EPOLLOUT needs nothing here: service() retries blocked output below. */
            }
        }
        service(now_ns());
    }
    return 0;
}
