"""Converters of scalar annotations: int, float, bool, str, bytes, None, and
datetime/date/time/Decimal/UUID when their modules are loaded.

A converter is conv(value, from_query) -> converted value, or raise _Bad.
from_query is true for a raw query string (or a list of them); values from a
JSON body are JSON types.
"""

import sys

from stargate_binding_errors import _Bad, _got
from stargate_binding_types import _optional_module_type


def _to_int(v, q):
    t = type(v)
    if t is int:
        return v
    if t is str:
        s = v.strip()
        digits = s[1:] if s[:1] in ("+", "-") else s
        if digits.isascii() and digits.isdigit():
            try:
                return int(s)
            except ValueError:  # more digits than sys.get_int_max_str_digits()
                pass
    elif t is float:
        if v.is_integer():
            return int(v)
    elif t is not bool and isinstance(v, int):
        return int(v)
    raise _Bad("expected an integer, got " + _got(v))


def _to_float(v, q):
    t = type(v)
    if t is float:
        return v
    if t is int:
        try:
            return float(v)
        except OverflowError:
            pass
    elif t is str:
        try:
            return float(v.strip())
        except ValueError:
            pass
    elif t is not bool and isinstance(v, (int, float)):
        return float(v)
    raise _Bad("expected a number, got " + _got(v))


_TRUE = frozenset(("true", "1", "yes", "on"))
_FALSE = frozenset(("false", "0", "no", "off"))


def _to_bool(v, q):
    t = type(v)
    if t is bool:
        return v
    if t is str:
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    elif t is int or t is float:
        if v == 1:
            return True
        if v == 0:
            return False
    raise _Bad("expected a boolean, got " + _got(v))


def _to_str(v, q):
    if type(v) is str:
        return v
    raise _Bad("expected a string, got " + _got(v))


def _to_bytes(v, q):
    if type(v) is str:
        try:
            return v.encode("utf-8")
        except UnicodeEncodeError:
            raise _Bad("expected a string of valid unicode") from None
    raise _Bad("expected a string, got " + _got(v))


def _to_bytearray(v, q):
    return bytearray(_to_bytes(v, q))


def _to_none(v, q):
    if v is None:
        return None
    raise _Bad("expected null, got " + _got(v))


def _extra_scalar_conv(tp):
    """datetime/date/time/Decimal/UUID annotations, if their modules are
    loaded (the function's module imported them to annotate with them)."""
    dt = sys.modules.get("datetime")
    if dt is not None:
        for cls in (dt.datetime, dt.date, dt.time):
            if tp is cls:
                return _iso_conv(cls)
    if tp is _optional_module_type("decimal", "Decimal"):
        return _decimal_conv(tp)
    if tp is _optional_module_type("uuid", "UUID"):
        return _uuid_conv(tp)
    return None


def _iso_conv(cls):
    what = "an ISO 8601 " + cls.__name__

    def conv(v, q):
        if type(v) is str:
            try:
                return cls.fromisoformat(v.strip())
            except ValueError:
                pass
        raise _Bad("expected %s, got %s" % (what, _got(v)))

    return conv


def _decimal_conv(cls):
    def conv(v, q):
        t = type(v)
        if t is int or t is str or t is float:
            try:
                return cls(v.strip() if t is str else repr(v) if t is float else v)
            except Exception:
                pass
        raise _Bad("expected a decimal number, got " + _got(v))

    return conv


def _uuid_conv(cls):
    def conv(v, q):
        if type(v) is str:
            try:
                return cls(v.strip())
            except ValueError:
                pass
        raise _Bad("expected a UUID, got " + _got(v))

    return conv


_SCALARS = {
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    str: _to_str,
    bytes: _to_bytes,
    bytearray: _to_bytearray,
    type(None): _to_none,
    None: _to_none,
}
