#!/usr/bin/env python3
"""Stargate's policy checker: decides, from the source alone, whether
agent-written Python may run.

Nothing of the submitted code is executed: it is parsed with ``ast`` and
walked. The tunable lists live in ``stargate_policy.py`` next to this file;
the mechanism is split by concern into the ``stargate_check_*.py`` modules
beside it, and this file is the entry point (``--socket PATH`` or
``--stdin``):

* ``stargate_check_request``: one request. ``check`` runs an ``Analysis``
  and the ``Walker`` over every file it can reach.
* ``stargate_check_analysis``: ``Analysis`` finds the entry module, follows
  its imports through the sandbox files (breadth first), and checks every
  file it can reach with the same policy.
* ``stargate_check_binder``: ``Binder`` is a pre-pass over one file: its
  scopes and the names bound in each (imports are resolved here, so the
  reachable set is known before any file is checked).
* ``stargate_check_walk`` (statements), ``stargate_check_expressions`` and
  ``stargate_check_access`` (names, attributes, calls): ``Walker`` is the
  check proper: every node, with the context an expression is used in
  (called, used as ``module.attr`` base, compared, used as a value...),
  because "a module object used as a value" or "getattr passed as an
  argument" is only visible from the use.
* ``stargate_check_library``: ``LibIndex`` answers questions about the
  checker's own interpreter (the same image as the runtime): is a name a
  standard-library or installed module, what does ``numpy.lib`` hold, is
  this object ``numpy.load``.
* ``stargate_check_files`` (sandbox layout, parsing), ``stargate_check_refs``
  (contexts and ``Ref`` kinds), ``stargate_check_signature`` (the entry
  function's signature and parameter schemas).
* ``stargate_check_server``: the protocol, newline-delimited JSON over a unix
  stream socket (or stdin/stdout with ``--stdin``), one request per line,
  one response per line.

The public names of those modules are re-exported here.
"""

import argparse
import os
import signal
import sys
import threading
import warnings

# With -I the script's directory is not on sys.path; the sibling modules
# (stargate_policy and stargate_check_*) live next to this file.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import stargate_policy as policy  # noqa: E402
from stargate_check_analysis import Analysis  # noqa: E402
from stargate_check_binder import Binder, Binding, Scope  # noqa: E402
from stargate_check_files import FileInfo, Sandbox, Violations, parse_file  # noqa: E402
from stargate_check_library import LibIndex  # noqa: E402
from stargate_check_refs import (  # noqa: E402
    APPLIED, ATTR_BASE, BUILTIN, CALLEE, CLASS_BASE, COMPARE, DEAD, DECORATOR, DEL, GETATTR_METHOD, ISINSTANCE,
    METACLASS, MODULE, OBJECT, SANDBOX, STORE, STR_FORMAT, SUPER, TEST, TYPE_RESULT, USER_ENUM, VALUE,
    Ref, is_dunder, nfkc,
)
from stargate_check_request import PYTHON_VERSION, RequestError, check, handle  # noqa: E402
from stargate_check_server import handle_line, serve_socket, serve_stream  # noqa: E402
from stargate_check_signature import annotation_schema, signature  # noqa: E402
from stargate_check_walk import Walker  # noqa: E402

__all__ = [
    "policy", "PYTHON_VERSION",
    "VALUE", "CALLEE", "ATTR_BASE", "TEST", "COMPARE", "ISINSTANCE", "CLASS_BASE", "METACLASS", "DECORATOR", "DEL",
    "STORE", "MODULE", "SANDBOX", "OBJECT", "BUILTIN", "TYPE_RESULT", "SUPER", "USER_ENUM", "GETATTR_METHOD",
    "STR_FORMAT", "APPLIED", "DEAD", "Ref", "is_dunder", "nfkc",
    "LibIndex", "Sandbox", "Violations", "FileInfo", "parse_file", "Scope", "Binding", "Binder", "Walker",
    "RequestError", "Analysis", "annotation_schema", "signature", "check", "handle", "handle_line",
    "serve_stream", "serve_socket", "main",
]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Stargate policy checker")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--socket", help="unix socket path to serve on")
    mode.add_argument("--stdin", action="store_true", help="serve requests from stdin, answer on stdout")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(10000)
    threading.stack_size(256 * 1024 * 1024)
    warnings.simplefilter("ignore")
    lib = LibIndex().warm()
    if args.stdin:
        # A worker thread gets the large stack deeply nested sources need.
        t = threading.Thread(target=serve_stream, args=(lib, sys.stdin.buffer, sys.stdout.buffer))
        t.start()
        t.join()
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serve_socket(lib, args.socket, stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
