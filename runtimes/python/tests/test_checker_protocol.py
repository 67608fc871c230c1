"""The wire protocol: newline-delimited JSON over a unix socket (server in a
thread, and the real process with SIGTERM) and over stdin/stdout."""
import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from test_checker_support import CHECKER, checker, lib, policy

CHECK = {"id": 7, "op": "check", "files": {"improvements.py": "import os\n\ndef enhanced_scan(x: int) -> int:\n    return x\n"},
         "module": "improvements", "function": "enhanced_scan"}


def _lines(sock_file, n):
    return [json.loads(sock_file.readline()) for _ in range(n)]


class StdinMode(unittest.TestCase):
    def run_checker(self, payload, *flags):
        # -I: the script's own directory is not on sys.path; the checker must
        # find stargate_policy next to itself anyway. cwd elsewhere on purpose.
        return subprocess.run([sys.executable, *flags, "-B", CHECKER, "--stdin"], input=payload,
                              capture_output=True, timeout=120, cwd="/")

    def test_requests_and_responses(self):
        payload = b"\n".join([
            json.dumps({"id": "a", "op": "ping"}).encode(),
            json.dumps(CHECK).encode(),
            b"",
            b"{not json",
            b"[1, 2]",
            json.dumps({"id": 3, "op": "frobnicate"}).encode(),
            json.dumps({"id": 4, "op": "check", "files": {}, "module": "nope", "function": "f"}).encode(),
        ]) + b"\n"
        proc = self.run_checker(payload, "-I")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(len(out), 6)  # the blank line gets no answer
        self.assertEqual(out[0], {"id": "a", "ok": True, "python": "%d.%d.%d" % sys.version_info[:3]})
        self.assertEqual(out[1]["id"], 7)
        self.assertEqual(out[1]["module"], "improvements")
        self.assertEqual(out[1]["files"], ["improvements.py"])
        self.assertEqual([(v["rule"], v["line"], v["col"]) for v in out[1]["violations"]], [("banned-import", 1, 0)])
        self.assertEqual(out[1]["function"]["params"][0]["schema"], {"type": "integer"})
        self.assertIsNone(out[2]["id"])
        self.assertIn("invalid JSON", out[2]["error"])
        self.assertIn("JSON object", out[3]["error"])
        self.assertEqual(out[4], {"id": 3, "error": "unknown op 'frobnicate'"})
        self.assertEqual(out[5], {"id": 4, "error": "module_not_found", "module": "nope"})

    def test_deep_source_in_a_worker_thread(self):
        deep = {"id": 1, "op": "check", "function": "f", "module": "m",
                "files": {"m.py": "x = " + "+".join(["a"] * 2000) + "\n" + "y = " + "-" * 200000 + "1\n"}}
        proc = self.run_checker(json.dumps(deep).encode() + b"\n")
        out = json.loads(proc.stdout)
        self.assertEqual([v["rule"] for v in out["violations"]], ["too-complex"])


class SocketServer(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stargate-checker-")
        self.path = os.path.join(self.dir, "run", "checker.sock")
        os.makedirs(os.path.dirname(self.path))
        # A stale socket from a previous run must be replaced.
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.path)
        stale.close()
        self.stop = threading.Event()
        ready = threading.Event()
        self.thread = threading.Thread(target=checker.serve_socket, args=(lib(), self.path, ready, self.stop), daemon=True)
        self.thread.start()
        self.assertTrue(ready.wait(10))

    def tearDown(self):
        self.stop.set()
        self.thread.join(10)
        self.assertFalse(os.path.exists(self.path), "the socket is removed on shutdown")
        shutil.rmtree(self.dir)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.path)
        return s

    def test_socket_mode(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o666)

    def test_many_requests_on_one_connection(self):
        with self.connect() as s, s.makefile("rb") as f:
            for i in range(5):
                s.sendall(json.dumps({"id": i, "op": "ping"}).encode() + b"\n")
            s.sendall((json.dumps(CHECK) + "\n" + json.dumps(CHECK) + "\n").encode())
            out = _lines(f, 7)
        self.assertEqual([o["id"] for o in out], [0, 1, 2, 3, 4, 7, 7])
        self.assertEqual(out[5], out[6])

    def test_concurrent_connections(self):
        results = []

        def client(n):
            with self.connect() as s, s.makefile("rb") as f:
                req = dict(CHECK, id=n)
                s.sendall(json.dumps(req).encode() + b"\n")
                results.append(json.loads(f.readline()))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sorted(r["id"] for r in results), list(range(8)))
        self.assertTrue(all(r["violations"][0]["rule"] == "banned-import" for r in results))

    def test_line_at_the_cap_is_served(self):
        limit = policy.MAX_REQUEST_BYTES
        head = b'{"id":1,"op":"ping","pad":"'
        tail = b'"}'
        line = head + b"a" * (limit - len(head) - len(tail)) + tail
        self.assertEqual(len(line), limit)
        with self.connect() as s, s.makefile("rb") as f:
            s.sendall(line + b"\n")
            self.assertEqual(json.loads(f.readline())["ok"], True)

    def test_oversized_line_is_answered_and_closed(self):
        limit = policy.MAX_REQUEST_BYTES
        with self.connect() as s, s.makefile("rb") as f:
            sender = threading.Thread(target=lambda: _ignore_errors(s.sendall, b"a" * (limit + 100)))
            sender.start()
            resp = json.loads(f.readline())
            sender.join(60)
            self.assertIsNone(resp["id"])
            self.assertIn("exceeds", resp["error"])
            self.assertEqual(f.readline(), b"", "the connection is closed")

    def test_garbage_never_kills_the_server(self):
        rng = random.Random(7)
        with self.connect() as s, s.makefile("rb") as f:
            for _ in range(20):
                junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b" ")
                if not junk.strip():
                    continue
                s.sendall(junk + b"\n")
                self.assertIn("error", json.loads(f.readline()))
            s.sendall(b'{"id":"still","op":"ping"}\n')
            self.assertEqual(json.loads(f.readline())["id"], "still")


def _ignore_errors(fn, *args):
    try:
        fn(*args)
    except OSError:
        pass


class Process(unittest.TestCase):
    def test_sigterm_exits_cleanly(self):
        d = tempfile.mkdtemp(prefix="stargate-checker-")
        path = os.path.join(d, "checker.sock")
        proc = subprocess.Popen([sys.executable, "-I", "-B", CHECKER, "--socket", path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/")
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(path):
                self.assertIsNone(proc.poll(), proc.stderr.read() if proc.poll() is not None else "")
                self.assertLess(time.monotonic(), deadline, "socket never appeared")
                time.sleep(0.05)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s, s.makefile("rb") as f:
                s.settimeout(30)
                s.connect(path)
                s.sendall(b'{"id":1,"op":"ping"}\n')
                self.assertTrue(json.loads(f.readline())["ok"])
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            self.assertFalse(os.path.exists(path))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
