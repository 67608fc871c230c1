"""converter(annotation): the converter of one parameter's annotation.

Scalars come from stargate_binding_scalars; this module builds the converters
of containers (list, tuple, set, dict), unions and Optional, Literal, Enum and
dataclasses around them.
"""

import dataclasses
import enum
import json
import typing

from stargate_binding_errors import _Bad, _got, describe_exception
from stargate_binding_scalars import _SCALARS, _extra_scalar_conv, _to_bool, _to_float, _to_int, _to_str
from stargate_binding_types import _DICT_ORIGINS, _EMPTY, _LIST_ORIGINS, _union_members, _unwrap, type_hints

# ---------------------------------------------------------------------------
# Converters: conv(value, from_query) -> converted value, or raise _Bad.
# from_query is true for a raw query string (or a list of them); values from a
# JSON body are JSON types. None as a converter means "pass through".


def _parse_query_json(s, opener):
    """A query value holding a JSON array or object; None if it does not
    start like one."""
    t = s.strip()
    if t[:1] != opener:
        return None
    try:
        return json.loads(t)
    except (ValueError, RecursionError):
        raise _Bad("got %s, which is not valid JSON" % _got(s)) from None


def _list_conv(item, kind):
    """list/tuple/set/frozenset of items converted by item."""

    def conv(v, q):
        iq = False
        if q:
            if type(v) is str:
                parsed = _parse_query_json(v, "[")
                if parsed is None:
                    v, iq = [v], True  # a single ?x=value
                else:
                    v = parsed
            else:
                iq = True  # a repeated query parameter: a list of strings
        if type(v) is not list:
            if isinstance(v, (list, tuple)):
                v = list(v)
            else:
                raise _Bad("expected a list, got " + _got(v))
        if item is not None:
            out = []
            for i, x in enumerate(v):
                try:
                    out.append(item(x, iq))
                except _Bad as e:
                    e.loc = (i,) + e.loc
                    raise
            v = out
        if kind is list:
            return v
        try:
            return kind(v)
        except TypeError:
            raise _Bad("expected a list of hashable items, got a list holding lists or objects") from None

    return conv


def _fixed_tuple_conv(items):
    """Tuple[A, B, C]: a list of exactly that many items."""
    n = len(items)

    def conv(v, q):
        iq = False
        if q:
            if type(v) is str:
                parsed = _parse_query_json(v, "[")
                v, iq = ([v], True) if parsed is None else (parsed, False)
            else:
                iq = True
        if not isinstance(v, (list, tuple)):
            raise _Bad("expected a list of %d items, got %s" % (n, _got(v)))
        if len(v) != n:
            raise _Bad("expected a list of %d items, got %d" % (n, len(v)))
        out = []
        for i, (c, x) in enumerate(zip(items, v)):
            try:
                out.append(x if c is None else c(x, iq))
            except _Bad as e:
                e.loc = (i,) + e.loc
                raise
        return tuple(out)

    return conv


def _dict_conv(key, value):
    def conv(v, q):
        if q:
            if type(v) is str:
                parsed = _parse_query_json(v, "{")
                if parsed is None:
                    raise _Bad("expected an object, got " + _got(v))
                v = parsed
        if not isinstance(v, dict):
            raise _Bad("expected an object, got " + _got(v))
        if key is None and value is None:
            return v
        out = {}
        for k, x in v.items():
            try:
                kk = k if key is None else key(k, True)
            except _Bad as e:
                raise _Bad("key %s: %s" % (_got(k), e.message)) from None
            try:
                out[kk] = x if value is None else value(x, False)
            except _Bad as e:
                e.loc = (k,) + e.loc
                raise
        return out

    return conv


def _optional_conv(inner):
    def conv(v, q):
        if v is None:
            return None
        return v if inner is None else inner(v, q)

    return conv


_EXACT = (int, float, str, bool, list, dict)


def _union_conv(members):
    """First member that converts; a JSON value whose type is exactly a
    member's type goes to that member first (so Union[str, int] keeps 5 an
    int)."""
    pairs = list(members)
    names = " | ".join(_type_name(m) for m, _ in pairs)

    def conv(v, q):
        if not q:
            t = type(v)
            for m, c in pairs:
                if m is t and m in _EXACT:
                    return v if c is None else c(v, q)
        for m, c in pairs:
            try:
                return c(v, q)
            except _Bad:
                pass
        raise _Bad("expected %s, got %s" % (names, _got(v)))

    return conv


def _type_name(tp):
    if isinstance(tp, type):
        return tp.__name__
    return repr(tp).replace("typing.", "")


def _literal_conv(values):
    base = {int: _to_int, float: _to_float, bool: _to_bool, str: _to_str}
    shown = ", ".join(_got(a) for a in values)

    def conv(v, q):
        for a in values:
            if v == a and type(v) is type(a):
                return a
        for a in values:
            c = base.get(type(a))
            if c is None:
                continue
            try:
                if c(v, q) == a:
                    return a
            except _Bad:
                pass
        raise _Bad("expected one of %s, got %s" % (shown, _got(v)))

    return conv


def _enum_conv(cls):
    members = list(cls)
    by_value = {}
    for m in members:
        try:
            by_value.setdefault(m.value, m)
        except TypeError:  # unhashable value
            pass
    base = {int: _to_int, float: _to_float, bool: _to_bool, str: _to_str}
    lax = [base[t] for t in (int, float, bool) if any(type(m.value) is t for m in members)]
    shown = ", ".join(_got(m.value) for m in members)

    def conv(v, q):
        if isinstance(v, cls):
            return v
        try:
            m = by_value.get(v)
        except TypeError:
            m = None
        if m is not None and type(m.value) is type(v):
            return m
        for m in members:
            if m.value == v and type(m.value) is type(v):
                return m
        for c in lax:
            try:
                x = c(v, q)
            except _Bad:
                continue
            for m in members:
                if m.value == x and type(m.value) is type(x):
                    return m
        raise _Bad("expected one of %s, got %s" % (shown, _got(v)))

    return conv


_DATACLASS_CONVS = {}


def _dataclass_conv(cls):
    """A dataclass from a JSON object, fields converted by their annotations.
    Fields are resolved on first use, so recursive dataclasses work."""
    conv = _DATACLASS_CONVS.get(cls)
    if conv is not None:
        return conv
    fields = []

    def build():
        try:
            hints = type_hints(cls)
        except Exception:
            hints = {}
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            fields.append((f.name, _safe_converter(hints.get(f.name, f.type)), required))
        fields.append(None)  # built marker

    def conv(v, q):
        if not fields:
            build()
        if q and type(v) is str:
            parsed = _parse_query_json(v, "{")
            if parsed is None:
                raise _Bad("expected an object, got " + _got(v))
            v = parsed
        if not isinstance(v, dict):
            raise _Bad("expected an object, got " + _got(v))
        kwargs = {}
        for field in fields:
            if field is None:
                break
            name, c, required = field
            if name in v:
                x = v[name]
                if c is not None:
                    try:
                        x = c(x, False)
                    except _Bad as e:
                        e.loc = (name,) + e.loc
                        raise
                kwargs[name] = x
            elif required:
                raise _Bad("missing", (name,))
        try:
            return cls(**kwargs)
        except BaseException as e:  # the dataclass's own code (__post_init__)
            raise _Bad("invalid %s: %s" % (cls.__name__, describe_exception(e))) from None

    _DATACLASS_CONVS[cls] = conv
    return conv


def converter(tp):
    """Builds the converter for an annotation; None means pass through."""
    tp = _unwrap(tp)
    if tp is _EMPTY or tp is typing.Any or isinstance(tp, (str, typing.ForwardRef)):
        return None
    try:
        hash(tp)
    except TypeError:
        return None
    c = _SCALARS.get(tp)
    if c is not None:
        return c
    members = _union_members(tp)
    if members is not None:
        inner = [m for m in members if m is not type(None)]
        convs = [(_unwrap(m), converter(m)) for m in inner]
        if len(convs) == 1:
            c = convs[0][1]
        elif any(c is None for _, c in convs):
            c = None  # a member takes anything
        else:
            c = _union_conv(convs)
        if len(inner) < len(members):
            return _optional_conv(c)
        return c
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return _literal_conv(args)
    if origin is None and isinstance(tp, type):
        origin, args = tp, ()
    kind = _LIST_ORIGINS.get(origin)
    if kind is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        if args == ((),):
            return _fixed_tuple_conv([])
        return _fixed_tuple_conv([converter(a) for a in args])
    if kind is not None:
        return _list_conv(converter(args[0]) if args else None, kind)
    if origin in _DICT_ORIGINS:
        if len(args) == 2:
            return _dict_conv(converter(args[0]), converter(args[1]))
        return _dict_conv(None, None)
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return _enum_conv(tp)
        if dataclasses.is_dataclass(tp):
            return _dataclass_conv(tp)
        if typing.is_typeddict(tp):
            return _dict_conv(None, None)
        return _extra_scalar_conv(tp)
    return None


def _safe_converter(ann):
    try:
        return converter(ann)
    except Exception:
        return None
