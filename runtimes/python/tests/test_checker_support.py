"""Shared helpers for the checker tests (no tests here).

The tests run inside stargate/python-base:bookworm, the image the checker and
the runtime use, with the standard library's unittest only.
"""
import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(TESTS)
CORPUS = os.path.join(TESTS, "corpus")
CHECKER = os.path.join(SRC, "stargate_checker.py")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

import stargate_checker as checker  # noqa: E402
import stargate_policy as policy  # noqa: E402

_LIB = None


def lib():
    """The process-wide library index (importing numpy and PIL once)."""
    global _LIB
    if _LIB is None:
        _LIB = checker.LibIndex().warm()
    return _LIB


def check(source=None, function="f", files=None, module="m", rid=1):
    """Runs one check request in-process and returns the response."""
    files = dict(files or {})
    if source is not None:
        files[module + ".py"] = source
    return checker.handle(lib(), {"id": rid, "op": "check", "files": files, "module": module, "function": function})


def found(source, **kw):
    """(rule, line, col) of every violation, in report order."""
    resp = check(source, **kw)
    if "error" in resp:
        raise AssertionError(f"unexpected error response: {resp}")
    return [(v["rule"], v["line"], v["col"]) for v in resp["violations"]]


def rules(source, **kw):
    return sorted({r for r, _, _ in found(source, **kw)})
