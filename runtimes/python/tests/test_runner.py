"""End-to-end tests of stargate_runner: a real runner process on a temporary
unix socket, serving the modules under tests/fixtures_runner/."""

import importlib.machinery
import importlib.util
import json
import os
import py_compile
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(os.path.dirname(HERE), "stargate_runner.py")
FIXTURES = os.path.join(HERE, "fixtures_runner")
BASIC = os.path.join(FIXTURES, "basic")
HAS_NUMPY = importlib.util.find_spec("numpy") is not None


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class Client:
    """A blocking HTTP/1.1 client over a unix socket (or TCP, for the
    benchmark): just enough to check what the runner sends."""

    def __init__(self, path=None, address=None, timeout=10):
        if path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(path)
            except OSError:
                self.sock.close()
                raise
        else:
            self.sock = socket.create_connection(address, timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, target, body=None, headers=()):
        self.send(encode_request(method, target, body, headers))
        return self.read()

    def get(self, target):
        return self.request("GET", target)

    def post(self, target, doc):
        return self.request("POST", target, json.dumps(doc).encode())

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers["content-length"])
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return Response(status, headers, body)

    def closed(self):
        """Whether the server closed the connection (after what was read)."""
        try:
            while True:
                data = self.sock.recv(1 << 16)
                if not data:
                    return True
                self.buf += data
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def encode_request(method, target, body=None, headers=()):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: runner"]
    lines += ["%s: %s" % h for h in headers]
    if body is not None:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class RunnerProcess:
    """A runner serving one function, started the way the platform starts it."""

    def __init__(self, code, module, function, workdir=None, extra=()):
        self.dir = tempfile.mkdtemp(prefix="sg-")
        self.socket = os.path.join(self.dir, "fn.sock")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.clients = []
        cmd = [sys.executable, "-I", "-B", "-X", "frozen_modules=on", RUNNER, "--socket", self.socket,
               "--code", code, "--module", module, "--function", function,
               "--workdir", workdir or os.path.join(self.dir, "no-such-dir")] + list(extra)
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=self.dir)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None:
                raise RuntimeError("runner exited with %d: %s" % (self.proc.returncode, self.stderr()))
            if time.monotonic() > deadline:
                raise RuntimeError("runner did not listen: " + self.stderr())
            time.sleep(0.005)

    def client(self, timeout=10):
        c = Client(self.socket, timeout=timeout)
        self.clients.append(c)
        return c

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        for c in self.clients:
            c.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class RunnerTestCase(unittest.TestCase):
    def start(self, function, code=BASIC, module="improvements", ready=True, **kw):
        r = RunnerProcess(code, module, function, **kw)
        self.addCleanup(r.stop)
        if ready:
            resp = r.client().get("/_stargate/ready")
            self.assertEqual(resp.status, 200, resp)
        return r


class ReadyTest(RunnerTestCase):
    def test_ready_imports_lazily(self):
        r = self.start("hello", ready=False)
        st = os.stat(r.socket)
        self.assertEqual(st.st_mode & 0o777, 0o666)
        time.sleep(0.2)
        self.assertNotIn("imported improvements", r.stderr())  # nothing imported before ready
        c = r.client()
        resp = c.get("/invoke")
        self.assertEqual(resp.status, 503)
        self.assertEqual(resp.json()["code"], "not_ready")
        resp = c.get("/_stargate/ready")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.headers["content-type"], "application/json")
        py = "%d.%d.%d" % sys.version_info[:3]
        self.assertEqual(resp.json(), {"ok": True, "function": "hello", "module": "improvements", "python": py})
        self.assertEqual(r.stderr().count("imported improvements"), 1)
        self.assertEqual(c.get("/_stargate/ready").status, 200)  # imported once only
        self.assertEqual(r.stderr().count("imported improvements"), 1)
        self.assertEqual(c.get("/invoke?name=x").json(), {"hello": "x"})

    def test_import_error(self):
        r = self.start("f", code=os.path.join(FIXTURES, "broken"), module="broken", ready=False)
        c = r.client()
        resp = c.get("/_stargate/ready")
        self.assertEqual(resp.status, 422)
        doc = resp.json()
        self.assertEqual(doc["code"], "import_failed")
        self.assertEqual(doc["status"], "error")
        self.assertEqual(doc["message"], "RuntimeError: boom at import")
        self.assertEqual(doc["details"]["type"], "RuntimeError")
        self.assertEqual(doc["details"]["traceback"], [
            {"file": "broken.py", "line": 9, "function": "<module>"},
            {"file": "broken.py", "line": 6, "function": "_setup"},
        ])
        again = c.get("/invoke")  # every call says why
        self.assertEqual((again.status, again.json()), (422, doc))

    def test_syntax_error(self):
        r = self.start("f", code=os.path.join(FIXTURES, "syntax"), module="bad", ready=False)
        doc = r.client().get("/_stargate/ready").json()
        self.assertEqual(doc["code"], "import_failed")
        self.assertTrue(doc["message"].startswith("SyntaxError: "), doc)
        self.assertIn({"file": "bad.py", "line": 1, "function": "<module>"}, doc["details"]["traceback"])
        self.assertNotIn(FIXTURES, json.dumps(doc))

    def test_missing_module(self):
        r = self.start("f", module="nope", ready=False)
        resp = r.client().get("/_stargate/ready")
        self.assertEqual((resp.status, resp.json()["code"]), (422, "import_failed"))
        self.assertEqual(resp.json()["message"], "ModuleNotFoundError: No module named 'nope'")

    def test_function_not_found(self):
        for name in ("nope", "Color.RED", "print"):
            with self.subTest(name=name):
                r = self.start(name, ready=False)
                resp = r.client().get("/_stargate/ready")
                self.assertEqual((resp.status, resp.json()["code"]), (404, "function_not_found"), resp)

    def test_not_callable(self):
        r = self.start("__name__", ready=False)
        resp = r.client().get("/_stargate/ready")
        self.assertEqual((resp.status, resp.json()["code"]), (404, "function_not_found"))
        self.assertIn("not callable", resp.json()["message"])


class InvokeTest(RunnerTestCase):
    def test_query_and_body(self):
        r = self.start("enhanced_scan")
        c = r.client()
        resp = c.get("/invoke?image=a&threshold=0.25&tags=x&tags=y&strict=yes")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json(), {"image": "a", "threshold": 0.25, "tags": ["x", "y"], "strict": True,
                                       "double": 0.5})
        resp = c.post("/invoke?image=q&threshold=1", {"image": "b", "tags": ["z"]})
        self.assertEqual(resp.json(), {"image": "b", "threshold": 1.0, "tags": ["z"], "strict": False,
                                       "double": 2.0})
        resp = c.request("GET", "/invoke?image=%C3%A9+x&tags=%5B%22p%22%5D")
        self.assertEqual(resp.json()["image"], "é x")
        self.assertEqual(resp.json()["tags"], ["p"])

    def test_invalid_arguments(self):
        r = self.start("enhanced_scan")
        resp = r.client().get("/invoke?threshold=abc&strict=maybe")
        self.assertEqual(resp.status, 422)
        doc = resp.json()
        self.assertEqual(doc["code"], "invalid_arguments")
        self.assertEqual(doc["details"], [
            {"parameter": "image", "error": "missing"},
            {"parameter": "threshold", "error": "expected a number, got 'abc'"},
            {"parameter": "strict", "error": "expected a boolean, got 'maybe'"},
        ])

    def test_invalid_json(self):
        r = self.start("enhanced_scan")
        c = r.client()
        resp = c.request("POST", "/invoke", b'{"image": "a",\n "x": }')
        self.assertEqual(resp.status, 400)
        doc = resp.json()
        self.assertEqual(doc["code"], "invalid_json")
        self.assertEqual(doc["details"], {"line": 2, "column": 7, "position": 21})
        self.assertIn("line 2, column 7", doc["message"])
        resp = c.request("POST", "/invoke", b'"\xff"')
        self.assertEqual((resp.status, resp.json()["code"]), (400, "invalid_json"))
        resp = c.request("POST", "/invoke", b"[" * 100000)
        self.assertEqual((resp.status, resp.json()["code"]), (400, "invalid_json"))
        resp = c.request("GET", "/invoke?image=%ff")
        self.assertEqual((resp.status, resp.json()["code"]), (400, "invalid_query"))
        self.assertEqual(c.get("/invoke?image=ok").status, 200)  # the connection still serves

    def test_one_parameter_takes_whole_body(self):
        r = self.start("total")
        c = r.client()
        self.assertEqual(c.post("/invoke", [1, 2, 3.5]).json(), 6.5)
        self.assertEqual(c.post("/invoke", {"values": [1]}).json(), 1.0)
        r = self.start("describe")
        c = r.client()
        self.assertEqual(c.post("/invoke", {"b": 1, "a": 2}).json(), {"keys": ["a", "b"], "size": 2})
        self.assertEqual(c.post("/invoke", {"data": {"z": 1}}).json(), {"keys": ["z"], "size": 1})

    def test_kwargs(self):
        r = self.start("echo")
        self.assertEqual(r.client().post("/invoke?q=1&q=2&s=x", {"b": [True]}).json(),
                         {"q": ["1", "2"], "s": "x", "b": [True]})

    def test_enum_dataclass_and_rich_results(self):
        r = self.start("shapes")
        resp = r.client().post("/invoke", {"color": "green", "at": {"x": "3"}})
        self.assertEqual(resp.json(), {"color": "green", "at": {"x": 3, "y": 0}, "set": [1, 2, 3], "bytes": "aGk="})

    def test_function_error(self):
        r = self.start("fail")
        resp = r.client().get("/invoke?n=7")
        self.assertEqual(resp.status, 500)
        doc = resp.json()
        self.assertEqual(doc["code"], "function_error")
        self.assertEqual(doc["message"], "ValueError: bad value 7")
        self.assertEqual(doc["details"]["type"], "ValueError")
        frames = doc["details"]["traceback"]
        self.assertEqual([f["file"] for f in frames], ["improvements.py", "helper.py"])
        self.assertEqual([f["function"] for f in frames], ["fail", "explode"])
        self.assertEqual(frames[1]["line"], 2)
        self.assertNotIn("/", json.dumps(doc).replace("\\/", ""))  # no absolute path anywhere

    def test_system_exit_and_interrupt_do_not_stop_the_runner(self):
        for name, kind in (("exit_now", "SystemExit"), ("interrupt", "KeyboardInterrupt"),
                           ("async_exit", "SystemExit")):
            with self.subTest(name=name):
                r = self.start(name)
                c = r.client()
                for _ in range(2):
                    resp = c.get("/invoke")
                    self.assertEqual((resp.status, resp.json()["code"]), (500, "function_error"))
                    self.assertEqual(resp.json()["details"]["type"], kind)
                self.assertTrue(r.alive())
                self.assertEqual(c.get("/_stargate/ready").status, 200)

    def test_system_exit_in_a_task_of_the_function(self):
        r = self.start("spawn_exit")
        c = r.client()
        self.assertEqual(c.get("/invoke").json(), "survived")
        time.sleep(0.1)
        self.assertTrue(r.alive())
        self.assertEqual(c.get("/invoke").json(), "survived")

    def test_unserializable(self):
        r = self.start("unserializable")
        resp = r.client().get("/invoke")
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.json()["code"], "unserializable_result")
        self.assertIn("ok: cannot turn an object into JSON", resp.json()["message"])

    @unittest.skipUnless(HAS_NUMPY, "numpy is not installed")
    def test_numpy(self):
        r = self.start("numbers")
        self.assertEqual(r.client().get("/invoke").json(), {
            "array": [0, 1, 2], "matrix": [[1.0, 0.0], [0.0, 1.0]], "mean": 1.5, "n": 7, "nan": None, "flag": True})

    def test_async(self):
        r = self.start("slow")
        self.assertEqual(r.client().get("/invoke?delay=0&tag=a").json(), {"tag": "a"})

    def test_working_directory(self):
        work = tempfile.mkdtemp(prefix="sg-work-")
        self.addCleanup(shutil.rmtree, work)
        with open(os.path.join(work, "data.txt"), "w") as f:
            f.write("sandbox data\n")
        r = self.start("read_data", workdir=work)
        self.assertEqual(r.client().get("/invoke").json(), "sandbox data")

    def test_routes(self):
        r = self.start("hello")
        c = r.client()
        for method, target, status, code in (
                ("GET", "/nope", 404, "not_found"),
                ("GET", "/", 404, "not_found"),
                ("PUT", "/invoke", 405, "method_not_allowed"),
                ("POST", "/_stargate/ready", 405, "method_not_allowed"),
                ("GET", "/invoke/x", 404, "not_found")):
            with self.subTest(method=method, target=target):
                resp = c.request(method, target)
                self.assertEqual((resp.status, resp.json()["code"]), (status, code))
                self.assertEqual(resp.json()["status"], "error")


class HTTPTest(RunnerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.runner = RunnerProcess(BASIC, "improvements", "add")
        assert cls.runner.client().get("/_stargate/ready").status == 200

    @classmethod
    def tearDownClass(cls):
        cls.runner.stop()

    def client(self, timeout=10):
        c = self.runner.client(timeout)
        self.addCleanup(c.close)
        return c

    def test_keep_alive(self):
        c = self.client()
        for i in range(20):
            resp = c.get("/invoke?a=%d" % i)
            self.assertEqual((resp.status, resp.json()), (200, i + 2))
            self.assertNotIn("connection", resp.headers)

    def test_pipelined(self):
        c = self.client()
        c.send(b"".join(encode_request("GET", "/invoke?a=%d&b=%d" % (i, i)) for i in range(50))
               + encode_request("POST", "/invoke", b'{"a": 1000}')
               + encode_request("GET", "/_stargate/ready"))
        got = [c.read() for _ in range(52)]
        self.assertEqual([r.json() for r in got[:51]], [2 * i for i in range(50)] + [1002])
        self.assertEqual(got[51].json()["ok"], True)

    def test_request_split_across_writes(self):
        c = self.client()
        data = encode_request("POST", "/invoke?b=1", b'{"a": 41}') * 2
        for i in range(len(data)):
            c.send(data[i:i + 1])
        self.assertEqual([c.read().json(), c.read().json()], [42, 42])

    def test_concurrent_connections(self):
        results = {}

        def work(i):
            c = self.runner.client()
            results[i] = [c.get("/invoke?a=%d&b=%d" % (i, j)).json() for j in range(30)]
            c.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, {i: [i + j for j in range(30)] for i in range(8)})

    def test_connection_close(self):
        c = self.client()
        resp = c.request("GET", "/invoke?a=1", headers=[("Connection", "close")])
        self.assertEqual((resp.status, resp.headers.get("connection")), (200, "close"))
        self.assertTrue(c.closed())

    def test_http10(self):
        c = self.client()
        c.send(b"GET /invoke?a=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        resp = c.read()
        self.assertEqual((resp.json(), resp.headers.get("connection")), (3, "keep-alive"))
        c.send(b"GET /invoke?a=2 HTTP/1.0\r\n\r\n")
        self.assertEqual(c.read().json(), 4)
        self.assertTrue(c.closed())

    def test_half_close_still_answers(self):
        c = self.client()
        c.send(encode_request("GET", "/invoke?a=5"))
        c.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(c.read().json(), 7)
        self.assertTrue(c.closed())

    def test_expect_continue(self):
        c = self.client()
        c.send(b"POST /invoke HTTP/1.1\r\nContent-Length: 8\r\nExpect: 100-continue\r\n\r\n")
        c.sock.settimeout(2)
        while b"\r\n\r\n" not in c.buf:
            c._fill()
        self.assertTrue(c.buf.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"))
        c.buf = c.buf[25:]
        c.send(b'{"a": 0}')
        self.assertEqual(c.read().json(), 2)

    def test_malformed(self):
        for name, data, status, code in (
                ("garbage", b"GARBAGE\r\n\r\n", 400, "bad_request"),
                ("no version", b"GET /invoke\r\n\r\n", 400, "bad_request"),
                ("http2", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "http_version_not_supported"),
                ("header without colon", b"GET /invoke HTTP/1.1\r\nHost\r\n\r\n", 400, "bad_request"),
                ("space before colon", b"GET /invoke HTTP/1.1\r\nContent-Length : 1\r\n\r\nx", 400, "bad_request"),
                ("bad length", b"POST /invoke HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "bad_request"),
                ("negative length", b"POST /invoke HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad_request"),
                ("two lengths", b"POST /invoke HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
                 400, "bad_request"),
                ("bare LF", b"GET /invoke HTTP/1.1\r\nHost: x\nContent-Length: 1\r\n\r\n", 400, "bad_request"),
                ("chunked", b"POST /invoke HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
                 411, "length_required"),
                ("huge head", b"GET /invoke HTTP/1.1\r\nX: " + b"a" * (70 << 10), 431, "headers_too_large")):
            with self.subTest(name=name):
                c = self.client()
                c.send(encode_request("GET", "/invoke?a=1") + data)  # a good request first: answered
                self.assertEqual(c.read().json(), 3)
                resp = c.read()
                self.assertEqual((resp.status, resp.json()["code"]), (status, code), resp)
                self.assertEqual(resp.headers.get("connection"), "close")
                self.assertTrue(c.closed())
        self.assertTrue(self.runner.alive())

    def test_large_body(self):
        r = self.start("count")
        c = r.client(timeout=60)
        items = list(range(1_000_000))  # about 6.9 MB of JSON
        resp = c.post("/invoke", items)
        self.assertEqual((resp.status, resp.json()), (200, len(items)))
        self.assertEqual(c.post("/invoke", [1]).json(), 1)

    def test_body_too_large(self):
        r = self.start("count", extra=["--max-body-bytes", "100000"])
        c = r.client()
        body = b"[" + b"1," * 100000 + b"1]"
        c.send(encode_request("POST", "/invoke", body))  # the whole body is read, then dropped
        resp = c.read()
        self.assertEqual((resp.status, resp.json()["code"]), (413, "body_too_large"))
        self.assertTrue(c.closed())
        c = r.client()
        self.assertEqual(c.post("/invoke", [1, 2]).json(), 2)


class AsyncTest(RunnerTestCase):
    def test_one_call_at_a_time(self):
        r = self.start("slow")
        results = {}

        def work(i):
            c = r.client()
            t = time.monotonic()
            results[i] = (c.get("/invoke?delay=0.3&tag=%d" % i).json(), time.monotonic() - t)

        start = time.monotonic()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        self.assertEqual(sorted(v[0]["tag"] for v in results.values()), ["0", "1", "2"])
        self.assertGreaterEqual(elapsed, 0.85)  # 3 x 0.3 s, one after another

    def test_pipelined_async_in_order(self):
        r = self.start("slow")
        c = r.client()
        c.send(encode_request("GET", "/invoke?delay=0.2&tag=a") + encode_request("GET", "/invoke?delay=0&tag=b")
               + encode_request("GET", "/_stargate/ready") + encode_request("GET", "/invoke?delay=0.05&tag=c"))
        got = [c.read().json() for _ in range(4)]
        self.assertEqual([got[0]["tag"], got[1]["tag"], got[2]["ok"], got[3]["tag"]], ["a", "b", True, "c"])

    def test_other_connections_wait_for_the_call(self):
        r = self.start("slow")
        a, b = r.client(), r.client()
        a.send(encode_request("GET", "/invoke?delay=0.3&tag=a"))
        time.sleep(0.05)
        t = time.monotonic()
        self.assertEqual(b.get("/invoke?delay=0&tag=b").json(), {"tag": "b"})
        self.assertGreaterEqual(time.monotonic() - t, 0.2)
        self.assertEqual(a.read().json(), {"tag": "a"})


class ImportSafetyTest(RunnerTestCase):
    def code_dir(self, files):
        d = tempfile.mkdtemp(prefix="sg-code-")
        self.addCleanup(shutil.rmtree, d)
        for name, text in files.items():
            path = os.path.join(d, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        return d

    def test_sandbox_files_do_not_shadow_the_standard_library(self):
        r = self.start("check", code=os.path.join(FIXTURES, "shadow"), module="uses_stdlib")
        self.assertEqual(r.client().get("/invoke").json(), {"json": "[1]", "bisect": 2})

    def test_module_named_like_a_standard_module_is_refused(self):
        r = self.start("dumps", code=os.path.join(FIXTURES, "shadow"), module="json", ready=False)
        resp = r.client().get("/_stargate/ready")
        self.assertEqual((resp.status, resp.json()["code"]), (422, "import_failed"))
        self.assertIn("not a file of the sandbox", resp.json()["message"])

    def test_pyc_only_module_is_not_imported(self):
        d = self.code_dir({"secret.py": "def f():\n    return 'from pyc'\n",
                           "main.py": "def f():\n    import secret\n    return secret.f()\n"})
        py_compile.compile(os.path.join(d, "secret.py"), cfile=os.path.join(d, "secret.pyc"))
        os.remove(os.path.join(d, "secret.py"))
        r = self.start("f", code=d, module="main")
        resp = r.client().get("/invoke")
        self.assertEqual(resp.status, 500)
        self.assertEqual(resp.json()["message"], "ModuleNotFoundError: No module named 'secret'")
        r = self.start("f", code=d, module="secret", ready=False)
        self.assertEqual(r.client().get("/_stargate/ready").json()["code"], "import_failed")

    def test_bytecode_cache_is_ignored(self):
        # An unchecked-hash .pyc is used by default Python without looking at
        # the source at all: it could hold anything.
        d = self.code_dir({"mod.py": "def f():\n    return 'source'\n",
                           "evil.py": "def f():\n    return 'bytecode'\n"})
        tag = sys.implementation.cache_tag
        py_compile.compile(os.path.join(d, "evil.py"), cfile=os.path.join(d, "__pycache__", "mod.%s.pyc" % tag),
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        r = self.start("f", code=d, module="mod")
        self.assertEqual(r.client().get("/invoke").json(), "source")
        self.assertEqual(os.listdir(os.path.join(d, "__pycache__")), ["mod.%s.pyc" % tag])  # nothing written

    def test_extension_module_is_not_loaded(self):
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        d = self.code_dir({"main.py": "def f():\n    import native\n    return 1\n",
                           "native" + suffix: "not an ELF file"})
        r = self.start("f", code=d, module="main")
        resp = r.client().get("/invoke")
        # A default import would try to load native.so and fail on its format.
        self.assertEqual(resp.json()["message"], "ModuleNotFoundError: No module named 'native'")

    def test_no_bytecode_written_and_packages_import(self):
        d = self.code_dir({"main.py": "from pkg.sub import g\n\ndef f():\n    return g()\n",
                           "pkg/__init__.py": "", "pkg/sub.py": "def g():\n    return 'pkg'\n"})
        r = self.start("f", code=d, module="main")
        self.assertEqual(r.client().get("/invoke").json(), "pkg")
        for root, dirs, _ in os.walk(d):
            self.assertNotIn("__pycache__", dirs)

    def test_runner_internals_are_not_importable(self):
        # stargate_binding and every stargate_binding_* module it imports.
        names = sorted(n[:-3] for n in os.listdir(os.path.dirname(RUNNER))
                       if n.startswith("stargate_binding") and n.endswith(".py"))
        self.assertIn("stargate_binding", names)
        d = self.code_dir({"main.py": "import importlib\n\ndef f(name: str):\n"
                                      "    importlib.import_module(name)\n    return 1\n"})
        r = self.start("f", code=d, module="main")
        c = r.client()
        for name in names:
            with self.subTest(module=name):
                got = c.get("/invoke?name=" + name).json()
                self.assertIsInstance(got, dict, "function code imported " + name)
                self.assertEqual(got["message"], "ModuleNotFoundError: No module named %r" % name)

    def test_main_block_does_not_run(self):
        r = self.start("hello")  # improvements.py exits in its __main__ block
        self.assertTrue(r.alive())


class ShutdownTest(RunnerTestCase):
    def test_sigterm_exits_cleanly(self):
        r = RunnerProcess(BASIC, "improvements", "hello")
        self.assertEqual(r.client().get("/_stargate/ready").status, 200)
        self.assertEqual(r.stop(), 0)


if __name__ == "__main__":
    unittest.main()
