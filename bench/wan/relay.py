"""The delay relay (delay_relay.c) seen from Python: start, read its counters, stop, and the
ping that checks it adds the delay it was asked for."""

import ctypes
import json
import signal
import socket
import socketserver
import statistics
import subprocess
import threading
import time

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # A relay must not outlive the driver, whatever stops the driver.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Relay:
    """One delay_relay process in front of 127.0.0.1:upstream_port."""

    def __init__(self, binary, upstream_port, delay_ms, log_path):
        self.delay_ms = delay_ms
        self._log = open(log_path, "a")
        self.proc = subprocess.Popen(
            [binary, str(upstream_port), str(int(round(delay_ms * 1000)))],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            preexec_fn=_die_with_parent,
        )
        line = self.proc.stdout.readline().split()
        if len(line) != 6 or line[0] != "listen" or line[2] != "stats":
            self.stop()
            raise RuntimeError(f"delay_relay did not start (said {line!r}); see {log_path}")
        self.port = int(line[1].rsplit(":", 1)[1])
        self.stats_port = int(line[3].rsplit(":", 1)[1])

    def stats(self):
        """The relay's counters: connections, open, turns, bytes_up, bytes_down."""
        with socket.create_connection(("127.0.0.1", self.stats_port), timeout=5) as s:
            data = b""
            while not data.endswith(b"\n"):
                part = s.recv(4096)
                if not part:
                    break
                data += part
        return json.loads(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def round_trips(before, after):
    """Round trips between two readings: one per connection opened, one per turn."""
    conns = after["connections"] - before["connections"]
    turns = after["turns"] - before["turns"]
    return conns, turns, conns + turns


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def ping(binary, delay_ms, count, log_path):
    """Pings a one-byte echo through a relay of delay_ms: connect() and the first exchange
    (expected 4 * delay: the handshake's round trip, then one more), then `count` exchanges
    (2 * delay each). Returns the measurements and the relay's counts."""
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    relay = Relay(binary, server.server_address[1], delay_ms, log_path)
    try:
        before = relay.stats()
        times = []
        t_connect = time.perf_counter()
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(count + 1):
                t0 = time.perf_counter() if i else t_connect
                s.sendall(b"x")
                if s.recv(16) != b"x":
                    raise RuntimeError("the echo through the relay answered something else")
                times.append((time.perf_counter() - t0) * 1000)
        time.sleep(delay_ms * 3 / 1000 + 0.05)  # the close crosses the relay
        conns, turns, _ = round_trips(before, relay.stats())
    finally:
        relay.stop()
        server.shutdown()
        server.server_close()
    rest = sorted(times[1:])
    return {
        "delay_ms": delay_ms,
        "first_ms": round(times[0], 3),
        "first_expected_ms": 4 * delay_ms,
        "rtt_p50_ms": round(statistics.median(rest), 3),
        "rtt_p90_ms": round(rest[int(0.9 * (len(rest) - 1))], 3),
        "rtt_min_ms": round(rest[0], 3),
        "rtt_expected_ms": 2 * delay_ms,
        "pings": count + 1,
        "connections": conns,
        "turns": turns,
    }


def check_ping(result, slack_ms, slack_ratio):
    """Problems with a ping result: counts that are not one connection and one turn per
    ping, a round trip shorter than 2 * delay (impossible) or longer than the slack allows."""
    problems = []
    if result["connections"] != 1 or result["turns"] != result["pings"]:
        problems.append(
            f"counted {result['connections']} connection(s) and {result['turns']} turn(s) "
            f"for 1 connection and {result['pings']} pings"
        )
    for got, want, what in (
        (result["rtt_min_ms"], result["rtt_expected_ms"], "fastest round trip"),
        (result["first_ms"], result["first_expected_ms"], "first exchange"),
    ):
        if got < want - 0.2:
            problems.append(f"{what} {got:.2f} ms is shorter than the {want:.2f} ms asked for")
    limit = result["rtt_expected_ms"] * (1 + slack_ratio) + slack_ms
    if result["rtt_p50_ms"] > limit:
        problems.append(f"median round trip {result['rtt_p50_ms']:.2f} ms is above {limit:.2f} ms")
    return problems
