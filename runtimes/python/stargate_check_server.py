"""The wire protocol: newline-delimited JSON, one request per line and one
response per line, over a unix stream socket or any pair of byte streams."""

import json
import os
import socketserver
import stat
import threading

import stargate_policy as policy
from stargate_check_request import handle


def handle_line(lib, line):
    """One request line (bytes) to one response line (bytes)."""
    try:
        req = json.loads(line)
    except (ValueError, RecursionError) as e:
        resp = {"id": None, "error": f"invalid JSON: {e}"}
    else:
        resp = handle(lib, req)
    try:
        data = json.dumps(resp, ensure_ascii=True, separators=(",", ":"))
    except Exception as e:
        data = json.dumps({"id": None, "error": f"internal: cannot encode response: {e}"})
    return data.encode("ascii") + b"\n"


def _too_large():
    return json.dumps({"id": None, "error": f"request line exceeds {policy.MAX_REQUEST_BYTES} bytes"}).encode() + b"\n"


def serve_stream(lib, rfile, wfile):
    """Serves requests from rfile until EOF or an oversized line."""
    limit = policy.MAX_REQUEST_BYTES
    while True:
        line = rfile.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not (len(line) == limit + 1 and line.endswith(b"\n")):
            wfile.write(_too_large())
            wfile.flush()
            return
        if not line.strip():
            continue
        wfile.write(handle_line(lib, line))
        wfile.flush()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            serve_stream(self.server.lib, self.rfile, self.wfile)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False


def serve_socket(lib, path, ready=None, stop=None):
    """Serves on a unix socket until stop is set (SIGTERM sets it)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISSOCK(st.st_mode):
            raise SystemExit(f"stargate_checker: {path} exists and is not a socket")
        os.unlink(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    server = _Server(path, _Handler)
    server.lib = lib
    os.chmod(path, 0o666)  # the API connects as another user
    stop = stop or threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    if ready is not None:
        ready.set()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        try:
            os.unlink(path)
        except OSError:
            pass
