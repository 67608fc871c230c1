#!/usr/bin/env python3
"""The "direct" side of the gateway-vs-direct benchmark.

A single-process asyncio HTTP/1.1 server on 127.0.0.1:<port> that answers
GET /?name=x with hello(name) as JSON: what a hand-written Python service
costs with no platform in front of it. It is built like the function runner
(runtimes/python/stargate_runner.py) and no less lean: an asyncio.Protocol
with the same minimal parser (keep-alive, pipelining, Content-Length bodies),
prebuilt header bytes, compact json.dumps, no logging per request.

    python3 bench/baseline.py 8081
    wrk -t2 -c32 -d10s 'http://127.0.0.1:8081/?name=x'

`baseline.py unix:/tmp/baseline.sock` serves the same on a unix socket, to
compare with the runner over the same transport.
"""

import asyncio
import json
import signal
import sys
from urllib.parse import parse_qsl


def hello(name: str = "world"):
    return {"hello": name}


_OK = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ",
       b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ")
_NOT_FOUND = (b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
              b'{"status":"error","code":"not_found","message":"no"}')
_BAD = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b'Content-Length: 54\r\n\r\n{"status":"error","code":"bad_request","message":"no"}')
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
MAX_HEAD = 64 << 10


def answer(target, close):
    path, _, query = target.partition(b"?")
    if path != b"/":
        return _NOT_FOUND
    args = dict(parse_qsl(query.decode(), keep_blank_values=True)) if query else {}
    name = args.get("name")
    body = _dumps(hello() if name is None else hello(name)).encode()
    return _OK[close] + b"%d\r\n\r\n" % len(body) + body


def parse_head(head):
    """(method, target, close, content_length), or None if malformed."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2][:7] != b"HTTP/1.":
        return None
    close = parts[2] == b"HTTP/1.0"
    length = 0
    for i in range(1, len(lines)):
        name, sep, value = lines[i].partition(b":")
        if not sep:
            return None
        size = len(name)
        if size == 14 and name.lower() == b"content-length":
            value = value.strip()
            if not value.isdigit():
                return None
            length = int(value)
        elif size == 10 and name.lower() == b"connection":
            value = value.lower()
            if b"close" in value:
                close = True
            elif b"keep-alive" in value:
                close = False
        elif size == 17 and name.lower() == b"transfer-encoding":
            return None
    return parts[0], parts[1], close, length


class Connection(asyncio.Protocol):
    __slots__ = ("transport", "buf")

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        buf = self.buf + data if self.buf else data
        pos, n = 0, len(buf)
        out = []
        while pos < n:
            end = buf.find(b"\r\n\r\n", pos)
            if end < 0:
                if n - pos > MAX_HEAD:
                    out.append(_BAD)
                    self.finish(out, True)
                    return
                break
            head = parse_head(buf[pos:end])
            if head is None:
                out.append(_BAD)
                self.finish(out, True)
                return
            method, target, close, length = head
            if end + 4 + length > n:
                break  # the body has not all arrived
            pos = end + 4 + length
            out.append(answer(target, close))
            if close:
                self.finish(out, True)
                return
        self.buf = buf[pos:]
        if out:
            self.finish(out, False)

    def finish(self, out, close):
        self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if close:
            self.transport.close()


def main(argv):
    if len(argv) != 1 or not (argv[0].isdigit() or argv[0].startswith("unix:")):
        sys.exit("usage: baseline.py PORT|unix:PATH")
    loop = asyncio.new_event_loop()
    if argv[0].isdigit():
        where = "127.0.0.1:" + argv[0]
        listening = loop.create_server(Connection, "127.0.0.1", int(argv[0]), backlog=1024)
    else:  # to compare with the runner over the same transport
        where = argv[0]
        listening = loop.create_unix_server(Connection, argv[0][5:], backlog=1024)
    server = loop.run_until_complete(listening)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    sys.stderr.write("baseline: serving on %s\n" % where)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main(sys.argv[1:])
