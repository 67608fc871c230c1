"""Errors of argument binding and result encoding, and how values are named
in their messages.

_Bad is the one internal failure: a converter or the result encoder raises it
with a path (loc) inside the value; Binder turns it into InvalidArguments and
jsonable into Unserializable.
"""

import json


class InvalidArguments(Exception):
    """The call's arguments do not fit the function. problems is a list of
    {"parameter": name, "error": text}, one per bad parameter."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems

    def message(self):
        parts = ["%s: %s" % (p["parameter"], p["error"]) for p in self.problems]
        return "invalid arguments: " + "; ".join(parts)


class Unserializable(Exception):
    """The return value cannot be turned into JSON."""


class _Bad(Exception):
    """One value failed to convert; loc is the path inside the value."""

    def __init__(self, message, loc=()):
        super().__init__(message)
        self.message = message
        self.loc = loc

    def text(self):
        if not self.loc:
            return self.message
        return "%s: %s" % (_path(self.loc), self.message)


def _path(loc):
    out = []
    for part in loc:
        if isinstance(part, int):
            out.append("[%d]" % part)
        elif part.isidentifier():
            out.append("." + part if out else part)
        else:
            out.append("[%s]" % json.dumps(part))
    return "".join(out)


def _got(v):
    """Describes a received value for an error message."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    t = type(v)
    if t is str or t is int or t is float:
        r = repr(v)
        return r if len(r) <= 60 else r[:57] + "..."
    if t is list:
        return "a list"
    if t is dict:
        return "an object"
    return "a " + t.__name__


def describe_exception(e):
    """"ExcType: message", or "ExcType" when the message is empty."""
    name = type(e).__name__
    try:
        text = str(e)
    except BaseException:
        text = ""
    return "%s: %s" % (name, text) if text else name
