"""Results: dumps turns a function's return value into JSON bytes.

Plain JSON values go straight to the C encoder; anything else (sets, bytes,
NaN, enums, dataclasses, datetime, Decimal, UUID, numpy) is first made plain
by jsonable.
"""

import binascii
import dataclasses
import enum
import json
import math
import sys

from stargate_binding_errors import Unserializable, _Bad
from stargate_binding_types import _optional_module_type


def _not_json(o):
    raise TypeError("not a JSON type")


def _make_encode():
    """A compact, strict (no NaN) JSON encoder. JSONEncoder.encode builds a
    new C encoder on every call; building it once halves the cost of small
    results. Without a markers dict the C encoder does not look for cycles:
    a cycle ends in RecursionError, and jsonable names it."""
    from json import encoder as impl

    if impl.c_make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    c_encode = impl.c_make_encoder(None, _not_json, impl.encode_basestring, None, ":", ",", False, False, False)
    join = "".join

    def encode(o):
        return join(c_encode(o, 0))

    return encode


_encode = _make_encode()
_encoder_ascii = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def dumps(value):
    """The JSON bytes of a return value; raises Unserializable."""
    try:
        text = _encode(value)
    except Exception:
        # Not plain JSON: sets, bytes, NaN, numpy, dataclasses, ...
        value = jsonable(value)
        try:
            text = _encode(value)
        except (ValueError, RecursionError) as e:
            raise Unserializable(str(e)) from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: escape them instead
        return _encoder_ascii.encode(value).encode("ascii")


def jsonable(value):
    """value as plain JSON types (dict with str keys, list, str, int, float,
    bool, None); raises Unserializable naming where the problem is."""
    try:
        return _jsonable(value, set())
    except _Bad as e:
        raise Unserializable(e.text()) from None
    except RecursionError:
        raise Unserializable("the result is nested too deeply") from None


def _jsonable(o, active):
    t = type(o)
    if t is str or t is int or t is bool or o is None:
        return o
    if t is float:
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return _jsonable_dict(o, active)
    if isinstance(o, (list, tuple)):
        return _jsonable_items(o, o, active)
    if isinstance(o, (set, frozenset)):
        try:
            items = sorted(o)
        except Exception:
            items = list(o)
        return _jsonable_items(o, items, active)
    if isinstance(o, enum.Enum):
        return _jsonable(o.value, active)
    if isinstance(o, int):  # bool is final; int subclasses
        return int(o)
    if isinstance(o, float):
        f = float(o)
        return f if math.isfinite(f) else None
    if isinstance(o, str):
        return str(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        return binascii.b2a_base64(o, newline=False).decode("ascii")
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return _jsonable_dataclass(o, active)
    return _jsonable_optional(o, active, t)


def _jsonable_optional(o, active, t):
    dt = sys.modules.get("datetime")
    if dt is not None:
        if isinstance(o, (dt.datetime, dt.date, dt.time)):
            return o.isoformat()
        if isinstance(o, dt.timedelta):
            return o.total_seconds()
    dec = _optional_module_type("decimal", "Decimal")
    if dec is not None and isinstance(o, dec):
        return float(o) if o.is_finite() else str(o)
    uid = _optional_module_type("uuid", "UUID")
    if uid is not None and isinstance(o, uid):
        return str(o)
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(o, np.ndarray):
            return _jsonable(o.tolist(), active)
        if isinstance(o, np.generic):
            return _jsonable(o.item(), active)
    raise _Bad("cannot turn %s into JSON" % _type_article(t))


def _type_article(t):
    name = t.__qualname__
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _enter(o, active):
    oid = id(o)
    if oid in active:
        raise _Bad("circular reference")
    active.add(oid)
    return oid


def _jsonable_dict(o, active):
    oid = _enter(o, active)
    out = {}
    for k, v in o.items():
        key = _json_key(k)
        try:
            out[key] = _jsonable(v, active)
        except _Bad as e:
            e.loc = (key,) + e.loc
            raise
    active.discard(oid)
    return out


def _jsonable_items(o, items, active):
    oid = _enter(o, active)
    out = []
    for i, v in enumerate(items):
        try:
            out.append(_jsonable(v, active))
        except _Bad as e:
            e.loc = (i,) + e.loc
            raise
    active.discard(oid)
    return out


def _jsonable_dataclass(o, active):
    oid = _enter(o, active)
    out = {}
    for f in dataclasses.fields(o):
        try:
            out[f.name] = _jsonable(getattr(o, f.name), active)
        except _Bad as e:
            e.loc = (f.name,) + e.loc
            raise
    active.discard(oid)
    return out


def _json_key(k):
    """Object keys the way json.dumps writes them: str as is; int, float,
    bool and None as their JSON text. Enum members and numpy scalars count
    as their values. Anything else is an error."""
    if type(k) is str:
        return k
    if isinstance(k, enum.Enum):
        k = k.value
    else:
        np = sys.modules.get("numpy")
        if np is not None and isinstance(k, np.generic):
            k = k.item()
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, int):
        return int.__repr__(k)
    if isinstance(k, float):
        if math.isfinite(k):
            return float.__repr__(k)
        return "NaN" if k != k else ("Infinity" if k > 0 else "-Infinity")
    if isinstance(k, str):
        return str(k)
    raise _Bad("cannot use %s as a JSON object key" % _type_article(type(k)))
