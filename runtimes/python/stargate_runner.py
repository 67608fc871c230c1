#!/usr/bin/env python3
"""Stargate's in-container function runner.

Serves one function of one module over HTTP/1.1 on a unix socket:

    GET      /_stargate/ready    import the module (first call only) and report
    GET|POST /invoke?<query>     call the function with the query and JSON body

Started as

    python3 -I -B -X frozen_modules=on /opt/stargate/stargate_runner.py \\
        --socket /run/stargate/fn.sock --code /code --module M --function F

The server is one asyncio.Protocol with its own small HTTP/1.1 parser:
keep-alive by default, pipelined requests answered in order, bodies framed by
Content-Length only. Every response is JSON with a Content-Length. The
function runs inside the event loop, one call at a time across all
connections; an async function holds that one slot until it returns.

Sandbox code is imported from .py source only, from a code directory placed
last on sys.path, and not before the first ready call.
"""

import os
import sys

# With -I the script's directory is not on sys.path: add it just long enough
# to import the binding module (which imports its stargate_binding_*
# submodules), then forget every one of those names so that function code
# cannot import runner internals (or find them shadowing its own module).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
try:
    import stargate_binding as binding
finally:
    try:
        sys.path.remove(_HERE)
    except ValueError:
        pass
    for _name in [n for n in sys.modules if n == "stargate_binding" or n.startswith("stargate_binding_")]:
        del sys.modules[_name]

import asyncio  # noqa: E402
import collections  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import importlib.machinery  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
from urllib.parse import parse_qsl  # noqa: E402

USAGE = ("usage: stargate_runner.py --socket PATH --code DIR (--module NAME --function NAME | --pool "
         "[--preload MOD,...]) [--workdir DIR] [--max-body-bytes N]")

DEFAULT_WORKDIR = "/sandbox"
DEFAULT_MAX_BODY = 32 << 20
MAX_HEAD = 64 << 10
MAX_FRAMES = 50
MAX_MESSAGE = 4096

# Connection modes of a request, which decide the response's Connection header.
KEEP, CLOSE, KEEP10 = 0, 1, 2

_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    422: "Unprocessable Content",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}
_CONNECTION = (b"", b"Connection: close\r\n", b"Connection: keep-alive\r\n")
# _HEADS[status][mode] is the response head up to the Content-Length value.
_HEADS = {
    status: tuple(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%sContent-Length: "
                  % (status, reason.encode(), c) for c in _CONNECTION)
    for status, reason in _REASONS.items()
}
_OK = _HEADS[200]
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

_decode_json = json.JSONDecoder().decode
_encode_error = json.JSONEncoder(separators=(",", ":")).encode
_CoroutineType = types.CoroutineType
_PLAIN_RESULTS = frozenset((dict, list, str, int, float, bool, type(None), tuple))


def response(status, body, mode):
    return _HEADS[status][mode] + b"%d\r\n\r\n" % len(body) + body


def error_response(status, code, message, mode, details=None):
    doc = {"status": "error", "code": code, "message": message}
    if details is not None:
        doc["details"] = details
    return response(status, _encode_error(doc).encode(), mode)


class HTTPError(Exception):
    """A request that cannot be parsed; the connection closes after it."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def parse_head(head):
    """Parses a request head (request line and headers, without the blank
    line). Returns (method, target, mode, content_length, expect_continue)."""
    lines = head.split(b"\r\n")
    n = len(lines) - 1
    if head.count(b"\n") != n or head.count(b"\r") != n:
        raise HTTPError(400, "bad_request", "bare CR or LF in the request head")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise HTTPError(400, "bad_request", "malformed request line")
    method, target, version = parts
    if version == b"HTTP/1.1":
        mode = KEEP
    elif version == b"HTTP/1.0":
        mode = CLOSE
    elif version[:5] == b"HTTP/":
        raise HTTPError(505, "http_version_not_supported", "only HTTP/1.1 and HTTP/1.0 are served")
    else:
        raise HTTPError(400, "bad_request", "malformed request line")
    length = None
    expect = False
    connection = None
    for i in range(1, n + 1):
        name, sep, value = lines[i].partition(b":")
        if not sep or not name or name[-1] in b" \t" or name[0] in b" \t":
            raise HTTPError(400, "bad_request", "malformed header line %d" % i)
        size = len(name)
        if size == 14 and name.lower() == b"content-length":
            v = value.strip(b" \t")
            if not v.isdigit() or len(v) > 15:
                raise HTTPError(400, "bad_request", "invalid Content-Length")
            v = int(v)
            if length is not None and length != v:
                raise HTTPError(400, "bad_request", "conflicting Content-Length headers")
            length = v
        elif size == 17 and name.lower() == b"transfer-encoding":
            raise HTTPError(411, "length_required",
                            "Transfer-Encoding is not supported: send the body with a Content-Length")
        elif size == 10 and name.lower() == b"connection":
            connection = value.lower()
        elif size == 6 and name.lower() == b"expect":
            expect = b"100-continue" in value.lower()
    if connection is not None:
        if b"close" in connection:
            mode = CLOSE
        elif mode == CLOSE and b"keep-alive" in connection:
            mode = KEEP10
    return method, target, mode, length or 0, expect


class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Loads sandbox modules from their .py source, never from a bytecode
    cache (which could hold code other than the checked source) and never
    writing one."""

    def path_stats(self, path):
        raise OSError("bytecode caches are not used for sandbox code")

    def set_data(self, path, data, *, _mode=0o666):
        pass


def install_source_only_imports(code_dir):
    """Puts code_dir last on sys.path, so no sandbox file can shadow a
    standard or installed module, and makes every path under it import .py
    source only: no sourceless .pyc, no extension modules, no zip files."""
    prefix = code_dir.rstrip(os.sep) + os.sep
    details = (SourceOnlyLoader, [".py"])

    def sandbox_path_hook(path):
        full = os.path.abspath(path) if path else os.getcwd()
        if full == code_dir or full.startswith(prefix):
            return importlib.machinery.FileFinder(path, details)
        raise ImportError("not a sandbox path")

    sys.dont_write_bytecode = True
    sys.path_hooks.insert(0, sandbox_path_hook)
    for key in list(sys.path_importer_cache):
        full = os.path.abspath(key) if key else ""
        if full == code_dir or full.startswith(prefix):
            del sys.path_importer_cache[key]
    if code_dir in sys.path:
        sys.path.remove(code_dir)
    sys.path.append(code_dir)
    importlib.invalidate_caches()


class Runner:
    """Loads the function and answers requests; one instance per process."""

    def __init__(self, code_dir, module, function, max_body, pool=False, workdir=DEFAULT_WORKDIR):
        self.code_dir = code_dir
        self.code_prefix = code_dir.rstrip(os.sep) + os.sep
        self.module = module
        self.function = function
        self.pool = pool
        self.workdir = workdir
        self.max_body = max_body
        self.loaded = False
        self.ready_status = 0
        self.ready_body = b""
        self.call = None
        self.bind = None
        self.busy = False
        self.task = None
        self.waiting = collections.deque()
        self.stopping = False
        self.loop = None
        self.server = None

    # -- routes ------------------------------------------------------------

    def handle(self, method, target, body, mode):
        """Answers one request: response bytes, or an awaitable when an async
        function was called (see Connection.run)."""
        try:
            path, _, query = target.partition(b"?")
            if path == b"/invoke":
                if method == b"GET" or method == b"POST":
                    return self.invoke(query, body, mode)
                return self.method_not_allowed(method, path, "GET, POST", mode)
            if path == b"/_stargate/ready":
                if method == b"GET":
                    return self.ready(mode, query)
                return self.method_not_allowed(method, path, "GET", mode)
            return error_response(404, "not_found", "no route for %s %s" % (
                method.decode("latin-1"), path.decode("latin-1")), mode)
        except BaseException as e:
            return error_response(500, "internal_error", "the runner failed: " + self.describe(e), mode)

    def method_not_allowed(self, method, path, allowed, mode):
        return error_response(405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)" % (
            method.decode("latin-1"), path.decode("latin-1"), allowed), mode)

    def ready(self, mode, query=b""):
        if not self.loaded:
            if self.pool:
                problem = self.assign(query)
                if problem:
                    return error_response(400, "bad_assignment", problem, mode)
            self.loaded = True
            self.load()
        return response(self.ready_status, self.ready_body, mode)

    def assign(self, query):
        """A pooled runner learns its function from its first ready call:
        ?module=M&function=F. The platform mounts the function's code and
        sandbox under /slot just before; nothing of them was read earlier.
        Returns a problem, or None."""
        try:
            args = dict(parse_qsl(query.decode(), strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            return "the ready query must be module=M&function=F"
        module, function = args.get("module", ""), args.get("function", "")
        if not (module.isidentifier() and function.isidentifier()):
            return "module and function must be identifiers"
        self.module, self.function = module, function
        if os.path.isdir(self.workdir):
            os.chdir(self.workdir)
        return None

    def invoke(self, query, body, mode):
        bind = self.bind
        if bind is None:
            if self.loaded:  # the import failed; say why on every call
                return response(self.ready_status, self.ready_body, mode)
            return error_response(503, "not_ready", "the function is not loaded: call GET /_stargate/ready first", mode)
        pairs = None
        if query:
            try:
                pairs = parse_qsl(query.decode(), keep_blank_values=True, errors="strict")
            except UnicodeDecodeError:
                return error_response(400, "invalid_query", "the query string is not valid UTF-8", mode)
        value = binding.NO_BODY
        if body:
            try:
                value = _decode_json(body.decode())
            except UnicodeDecodeError as e:
                return error_response(400, "invalid_json", "the body is not valid UTF-8: bad byte at position %d"
                                      % e.start, mode, {"position": e.start})
            except json.JSONDecodeError as e:
                return error_response(400, "invalid_json", "the body is not valid JSON: %s at line %d, column %d"
                                      % (e.msg, e.lineno, e.colno), mode,
                                      {"line": e.lineno, "column": e.colno, "position": e.pos})
            except (ValueError, RecursionError) as e:
                return error_response(400, "invalid_json", "the body is not valid JSON: " + self.describe(e), mode)
        try:
            args, kwargs = bind(pairs, value)
        except binding.InvalidArguments as e:
            return error_response(422, "invalid_arguments", e.message(), mode, e.problems)
        try:
            result = self.call(*args, **kwargs)
        except BaseException as e:  # SystemExit too: a function cannot stop the runner
            return self.function_error(e, mode)
        t = type(result)
        if t is _CoroutineType or (t not in _PLAIN_RESULTS and inspect.isawaitable(result)):
            return result
        return self.result(result, mode)

    def result(self, value, mode):
        try:
            body = binding.dumps(value)
        except BaseException as e:
            if isinstance(e, binding.Unserializable):
                reason = str(e)
            else:
                reason = self.describe(e)
            return error_response(500, "unserializable_result",
                                  "the function's result cannot be turned into JSON: " + reason,
                                  mode, {"type": type(value).__name__})
        return _OK[mode] + b"%d\r\n\r\n" % len(body) + body

    def function_error(self, e, mode):
        return error_response(500, "function_error", self.describe(e), mode, self.exception_details(e))

    # -- loading -----------------------------------------------------------

    def load(self):
        """Imports the module and finds the function; sets the ready answer."""
        try:
            install_source_only_imports(self.code_dir)
            spec = importlib.util.find_spec(self.module)
            if spec is None:
                raise ModuleNotFoundError("No module named %r" % self.module)
            origin = spec.origin
            if not (isinstance(origin, str) and origin.startswith(self.code_prefix)):
                raise ImportError("module %r is not a file of the sandbox: the name belongs to a "
                                  "standard or installed module" % self.module)
            module = importlib.import_module(self.module)
        except BaseException as e:
            self.fail(422, "import_failed", self.describe(e), self.exception_details(e))
            return
        try:
            fn = getattr(module, self.function)
        except BaseException:
            self.fail(404, "function_not_found", "module %r has no function %r" % (self.module, self.function))
            return
        if not callable(fn):
            self.fail(404, "function_not_found", "%r in module %r is not callable (it is %s)" % (
                self.function, self.module, type(fn).__name__))
            return
        try:
            binder = binding.Binder(fn)
        except BaseException as e:
            self.fail(422, "import_failed", "cannot read the signature of %r: %s" % (
                self.function, self.describe(e)), self.exception_details(e))
            return
        self.call = fn
        self.bind = binder.bind
        self.ready_status = 200
        self.ready_body = _encode_error({
            "ok": True,
            "function": self.function,
            "module": self.module,
            "python": "%d.%d.%d" % sys.version_info[:3],
        }).encode()
        # Everything loaded so far lives as long as the process: keep the
        # collector from walking it again and again.
        gc.collect()
        gc.freeze()

    def fail(self, status, code, message, details=None):
        doc = {"status": "error", "code": code, "message": message}
        if details is not None:
            doc["details"] = details
        self.ready_status = status
        self.ready_body = _encode_error(doc).encode()

    # -- errors ------------------------------------------------------------

    def describe(self, e):
        """"ExcType: message", with the code directory stripped from paths
        and at most MAX_MESSAGE characters."""
        text = binding.describe_exception(e).replace(self.code_prefix, "")
        if len(text) > MAX_MESSAGE:
            text = text[:MAX_MESSAGE - 3] + "..."
        return text

    def exception_details(self, e):
        """The exception's type and the frames of sandbox files, innermost
        last, with paths relative to the code directory."""
        prefix = self.code_prefix
        cut = len(prefix)
        frames = []
        for frame, line in traceback.walk_tb(e.__traceback__):
            name = frame.f_code.co_filename
            if name.startswith(prefix):
                frames.append({"file": name[cut:], "line": line, "function": frame.f_code.co_name})
        if isinstance(e, SyntaxError) and isinstance(e.filename, str) and e.filename.startswith(prefix):
            frames.append({"file": e.filename[cut:], "line": e.lineno, "function": "<module>"})
        details = {"type": type(e).__name__, "traceback": frames[-MAX_FRAMES:]}
        if len(frames) > MAX_FRAMES:
            details["frames_omitted"] = len(frames) - MAX_FRAMES
        return details

    # -- the one call slot -------------------------------------------------

    def start_call(self, conn, awaitable, mode):
        self.busy = True
        # The loop holds tasks weakly: keep this one until it is done.
        self.task = self.loop.create_task(self.finish_call(conn, awaitable, mode))

    async def finish_call(self, conn, awaitable, mode):
        try:
            try:
                value = await awaitable
            except BaseException as e:  # awaited inline: SystemExit lands here, not in the loop
                resp = self.function_error(e, mode)
            else:
                resp = self.result(value, mode)
        except BaseException as e:
            resp = error_response(500, "internal_error", "the runner failed: " + self.describe(e), mode)
        self.busy = False
        self.task = None
        conn.call_done(resp, mode)
        waiting = self.waiting
        while waiting and not self.busy:
            other = waiting.popleft()
            other.waiting = False
            other.run()
        if self.stopping and not self.busy:
            self.loop.stop()

    def stop(self):
        if self.stopping:
            return
        self.stopping = True
        if self.server is not None:
            self.server.close()
        if not self.busy:
            self.loop.stop()


class Connection(asyncio.Protocol):
    """One client connection: parses requests into a queue and answers them
    in order."""

    __slots__ = ("runner", "transport", "buf", "queue", "head", "parts", "have", "discard", "done",
                 "linger", "closed", "eof", "paused", "waiting", "in_call")

    def __init__(self, runner):
        self.runner = runner
        self.transport = None
        self.buf = b""
        self.queue = collections.deque()  # (method, target, body, mode); method None: a ready response
        self.head = None  # (method, target, mode, length) of a request whose body is arriving
        self.parts = None
        self.have = 0
        self.discard = 0  # body bytes of a refused request still to read and drop
        self.done = False  # no more requests are read on this connection
        self.linger = False  # close once the discarded body has been read
        self.closed = False
        self.eof = False
        self.paused = False
        self.waiting = False
        self.in_call = False

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.closed = True
        self.queue.clear()

    def eof_received(self):
        self.eof = True
        if self.in_call or self.queue:
            return True  # answer what was asked, then close
        return False

    def pause_writing(self):
        self.paused = True
        self.transport.pause_reading()

    def resume_writing(self):
        self.paused = False
        self.transport.resume_reading()
        self.run()

    def data_received(self, data):
        if self.done:
            if self.discard > 0:
                self.discard -= len(data)
                if self.discard <= 0 and self.linger:
                    self.transport.close()
            return
        if self.head is not None:
            self.parts.append(data)
            self.have += len(data)
            method, target, mode, length = self.head
            if self.have < length:
                return
            data = b"".join(self.parts)
            self.head = self.parts = None
            self.queue.append((method, target, data[:length], mode))
            data = data[length:]
        elif self.buf:
            data = self.buf + data
        if data:
            self.parse(data)
        else:
            self.buf = b""
        self.run()

    def parse(self, buf):
        """Queues every complete request in buf and keeps the rest."""
        queue = self.queue
        pos = 0
        n = len(buf)
        while pos < n:
            end = buf.find(b"\r\n\r\n", pos)
            if end < 0:
                if buf.startswith(b"\r\n", pos):  # empty lines before a request are allowed
                    pos += 2
                    continue
                if n - pos > MAX_HEAD:
                    self.refuse(431, "headers_too_large", "the request head is larger than %d bytes" % MAX_HEAD)
                    return
                break
            if end == pos or buf.startswith(b"\r\n", pos):
                pos += 2
                continue
            if end - pos > MAX_HEAD:
                self.refuse(431, "headers_too_large", "the request head is larger than %d bytes" % MAX_HEAD)
                return
            try:
                method, target, mode, length, expect = parse_head(buf[pos:end])
            except HTTPError as e:
                self.refuse(e.status, e.code, e.message)
                return
            start = end + 4
            if length == 0:
                queue.append((method, target, b"", mode))
                pos = start
                continue
            if length > self.runner.max_body:
                # Read and drop the body so that a client still sending it
                # reads the answer; one waiting for 100 Continue sends nothing.
                self.refuse(413, "body_too_large", "the body is %d bytes; the limit is %d"
                            % (length, self.runner.max_body), discard=0 if expect else length - (n - start))
                return
            stop = start + length
            if stop <= n:
                queue.append((method, target, buf[start:stop], mode))
                pos = stop
                continue
            self.head = (method, target, mode, length)
            self.parts = [buf[start:]]
            self.have = n - start
            if expect and not queue and not self.in_call:
                self.transport.write(_CONTINUE)
            pos = n
        self.buf = buf[pos:] if pos < n else b""

    def refuse(self, status, code, message, discard=0):
        """Queues an error answer after which the connection closes."""
        self.queue.append((None, error_response(status, code, message, CLOSE), None, CLOSE))
        self.done = True
        self.discard = discard
        self.buf = b""
        self.head = self.parts = None

    def run(self):
        """Answers queued requests until the queue is empty or an async call
        takes the runner's one call slot."""
        if self.in_call or self.paused or self.closed:
            return
        queue = self.queue
        if not queue:
            if self.eof:
                self.transport.close()
            return
        runner = self.runner
        if runner.busy:
            if not self.waiting:
                self.waiting = True
                runner.waiting.append(self)
            return
        out = []
        while queue:
            method, target, body, mode = queue.popleft()
            r = target if method is None else runner.handle(method, target, body, mode)
            if type(r) is not bytes:
                if out:
                    self.transport.write(b"".join(out))
                self.in_call = True
                runner.start_call(self, r, mode)
                return
            out.append(r)
            if mode == CLOSE:
                self.transport.write(b"".join(out))
                self.close_after_write()
                return
        self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self.eof:
            self.transport.close()

    def call_done(self, resp, mode):
        self.in_call = False
        if self.closed:
            return
        self.transport.write(resp)
        if mode == CLOSE:
            self.close_after_write()
        else:
            self.run()

    def close_after_write(self):
        self.done = True
        self.queue.clear()
        if self.discard > 0 and not self.eof:
            self.linger = True  # let the client finish sending, so it reads the answer
        else:
            self.transport.close()


def listen(path):
    """A listening unix socket at path, mode 0666, that appears only once it
    accepts connections (bound under a temporary name, then renamed)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o111)
    try:
        sock.bind(tmp)
    finally:
        os.umask(old)
    os.chmod(tmp, 0o666)
    sock.listen(1024)
    os.replace(tmp, path)
    sock.setblocking(False)
    return sock


def parse_args(argv):
    opts = {"socket": None, "code": None, "module": None, "function": None,
            "workdir": DEFAULT_WORKDIR, "max-body-bytes": str(DEFAULT_MAX_BODY),
            "pool": False, "preload": ""}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if not name.startswith("--") or name[2:] not in opts:
            raise SystemExit("stargate_runner: unknown argument %r\n%s" % (arg, USAGE))
        if name == "--pool":
            opts["pool"] = True
            i += 1
            continue
        if not eq:
            i += 1
            if i >= len(argv):
                raise SystemExit("stargate_runner: %s needs a value\n%s" % (name, USAGE))
            value = argv[i]
        opts[name[2:]] = value
        i += 1
    required = ("socket", "code") if opts["pool"] else ("socket", "code", "module", "function")
    for name in required:
        if not opts[name]:
            raise SystemExit("stargate_runner: --%s is required\n%s" % (name, USAGE))
    try:
        opts["max-body-bytes"] = int(opts["max-body-bytes"])
    except ValueError:
        raise SystemExit("stargate_runner: --max-body-bytes must be an integer") from None
    opts["code"] = os.path.abspath(opts["code"])
    return opts


def preload(names):
    """Imports generic libraries before any function is known, so that a
    pooled instance handed to a function that uses them is ready sooner.
    Nothing of any function is involved; a library that fails to import is
    simply not preloaded."""
    for name in filter(None, names.split(",")):
        try:
            importlib.import_module(name.strip())
        except Exception:
            pass


def main(argv):
    opts = parse_args(argv)
    if opts["pool"]:
        preload(opts["preload"])
        gc.collect()
    elif os.path.isdir(opts["workdir"]):
        os.chdir(opts["workdir"])
    runner = Runner(opts["code"], opts["module"], opts["function"], opts["max-body-bytes"],
                    pool=opts["pool"], workdir=opts["workdir"])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runner.loop = loop
    sock = listen(opts["socket"])
    runner.server = loop.run_until_complete(loop.create_unix_server(lambda: Connection(runner), sock=sock))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runner.stop)
    what = "a pooled instance" if opts["pool"] else "%s.%s" % (opts["module"], opts["function"])
    sys.stderr.write("stargate runner: serving %s on %s\n" % (what, opts["socket"]))
    while True:
        try:
            loop.run_forever()
        except (SystemExit, KeyboardInterrupt):
            pass  # raised by function code in a callback or task of its own: keep serving
        if runner.stopping:
            break
    try:
        os.unlink(opts["socket"])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
