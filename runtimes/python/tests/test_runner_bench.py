"""Throughput of the runner against bench/baseline.py, same client code.

Skipped unless STARGATE_BENCH=1. The runner listens on a unix socket (as in
production); the baseline on 127.0.0.1 TCP (as the benchmark's "direct"
side) and on a unix socket (the same transport, to isolate the runner's own
overhead). Both serve hello(name: str = "world"). The client is one blocking
keep-alive connection: depth 1 waits for each answer (latency bound), depth
16 pipelines 16 requests at a time (server bound).

    STARGATE_BENCH=1 python3 -B -m unittest tests.test_runner_bench -v

STARGATE_BASELINE names baseline.py when the repository layout is not
there; STARGATE_BENCH_REQUESTS sets the requests per measurement.
"""

import os
import socket
import subprocess
import sys
import time
import unittest

from test_runner import BASIC, Client, RunnerProcess

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.environ.get("STARGATE_BASELINE") or os.path.join(HERE, "..", "..", "..", "bench", "baseline.py")
REQUESTS = int(os.environ.get("STARGATE_BENCH_REQUESTS", "30000"))


def measure(client, target, n, depth):
    """Requests per second of n GETs of target, depth at a time. Reads the
    answers with as little work as possible, so the server shows."""
    sock = client.sock
    request = b"GET %s HTTP/1.1\r\nHost: bench\r\n\r\n" % target.encode()
    batch = request * depth
    buf = b""
    done = -200  # warm up first
    start = None
    while done < n:
        if done == 0:
            start = time.perf_counter()
        sock.sendall(batch if done >= 0 else request)
        want = depth if done >= 0 else 1
        while want:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                buf += sock.recv(1 << 16)
                continue
            if not buf.startswith(b"HTTP/1.1 200 "):
                raise AssertionError(buf[:200])
            i = buf.find(b"Content-Length: ", 0, end) + 16
            stop = end + 4 + int(buf[i:buf.find(b"\r\n", i)])
            while len(buf) < stop:
                buf += sock.recv(1 << 16)
            buf = buf[stop:]
            want -= 1
        done += depth if done >= 0 else 1
    return n / (time.perf_counter() - start)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(os.environ.get("STARGATE_BENCH") == "1", "set STARGATE_BENCH=1 to measure throughput")
class ThroughputTest(unittest.TestCase):
    def start_baseline(self, where):
        proc = subprocess.Popen([sys.executable, "-I", "-B", BASELINE, where], stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.terminate)
        return proc

    def connect_tcp(self, port):
        deadline = time.monotonic() + 10
        while True:
            try:
                return Client(address=("127.0.0.1", port))
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def connect_unix(self, path):
        deadline = time.monotonic() + 10
        while True:
            try:
                return Client(path)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def test_runner_vs_baseline(self):
        runner = RunnerProcess(BASIC, "improvements", "hello")
        self.addCleanup(runner.stop)
        rc = runner.client()
        self.assertEqual(rc.get("/_stargate/ready").status, 200)
        self.assertEqual(rc.get("/invoke?name=x").json(), {"hello": "x"})

        port = free_port()
        self.start_baseline(str(port))
        tcp = self.connect_tcp(port)
        self.addCleanup(tcp.close)
        self.assertEqual(tcp.get("/?name=x").json(), {"hello": "x"})

        path = os.path.join(runner.dir, "baseline.sock")
        self.start_baseline("unix:" + path)
        unix = self.connect_unix(path)
        self.addCleanup(unix.close)
        self.assertEqual(unix.get("/?name=x").json(), {"hello": "x"})

        rows = []
        for depth in (1, 16):
            rows.append(("runner, unix socket", depth, measure(rc, "/invoke?name=x", REQUESTS, depth)))
            rows.append(("baseline, TCP", depth, measure(tcp, "/?name=x", REQUESTS, depth)))
            rows.append(("baseline, unix socket", depth, measure(unix, "/?name=x", REQUESTS, depth)))
        sys.stderr.write("\nPython %s, %d requests per row\n" % (sys.version.split()[0], REQUESTS))
        for name, depth, rate in rows:
            sys.stderr.write("  %-22s depth %2d: %8.0f req/s\n" % (name, depth, rate))


if __name__ == "__main__":
    unittest.main()
