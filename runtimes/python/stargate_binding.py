"""Argument binding and result encoding for the Stargate function runner.

Binder turns an HTTP call (query parameters and an optional JSON body) into the
arguments of one Python function, converting each value by the parameter's
annotation the way FastAPI and pydantic's lax mode do. dumps turns the
function's return value into JSON bytes.

Standard library only. Values of optional modules (numpy, decimal, uuid,
datetime) are recognised through sys.modules and never imported here: a
function that returns a numpy array has imported numpy already.

Everything expensive happens once, in Binder(): the per-call path is a loop
over prebuilt (name, converter, ...) tuples.
"""

import binascii
import collections.abc
import dataclasses
import enum
import inspect
import json
import math
import sys
import types
import typing

__all__ = ["NO_BODY", "Binder", "InvalidArguments", "Unserializable", "dumps"]

# NO_BODY stands for a call without a body; None is a JSON null body.
NO_BODY = object()

_EMPTY = inspect.Parameter.empty
_MISSING = object()


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


# ---------------------------------------------------------------------------
# Annotations: resolving them without running code a validator never saw.


def _annotation_strings(tp, out, depth=0):
    """Collects the strings (forward references) inside an annotation."""
    if depth > 20:
        return
    if isinstance(tp, str):
        out.append(tp)
    elif isinstance(tp, typing.ForwardRef):
        out.append(tp.__forward_arg__)
    else:
        try:
            args = getattr(tp, "__args__", None)
        except Exception:
            return
        if isinstance(args, tuple):
            for a in args:
                _annotation_strings(a, out, depth + 1)


def _safe_type_expression(text, depth=0):
    """Whether evaluating text can only look names up and subscript them.

    String annotations are constants to an AST validator, yet
    typing.get_type_hints evaluates them; a string such as
    "__import__('os').system('...')" must never be. Returns None for text
    that is not an expression at all (inert: nothing evaluates it)."""
    import ast

    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    if depth > 5:
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.Tuple, ast.List, ast.Subscript, ast.Slice,
                             ast.BitOr, ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                return False
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__"):
                return False
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.BitOr):
                return False
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                return False
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, str) and _safe_type_expression(node.value, depth + 1) is False:
                return False
        else:
            return False
    return True


def _all_safe(annotations):
    strings = []
    for v in annotations.values():
        _annotation_strings(v, strings)
    return all(_safe_type_expression(s) is not False for s in strings)


def _raw_annotations(obj):
    """Returns [(annotations dict, globals)] for a function or a class (MRO)."""
    if isinstance(obj, type):
        out = []
        for base in reversed(obj.__mro__):
            ann = base.__dict__.get("__annotations__")
            if isinstance(ann, dict):
                mod = sys.modules.get(base.__module__)
                out.append((ann, getattr(mod, "__dict__", {})))
        return out
    ann = getattr(obj, "__annotations__", None)
    return [(ann if isinstance(ann, dict) else {}, getattr(obj, "__globals__", {}))]


def type_hints(obj):
    """The annotations of a function or class, resolved like
    typing.get_type_hints(include_extras=True). When that fails, each
    annotation is resolved on its own; one that cannot be (or is not a plain
    type expression) stays a string, which binds as "unknown"."""
    raw = _raw_annotations(obj)
    merged = {}
    for ann, _ in raw:
        merged.update(ann)
    if not merged:
        return {}
    if _all_safe(merged):
        try:
            return typing.get_type_hints(obj, include_extras=True)
        except Exception:
            pass
    hints = {}
    for ann, globalns in raw:
        for name, v in ann.items():
            if isinstance(v, str):
                if _safe_type_expression(v):
                    try:
                        v = eval(v, globalns, {})  # a checked type expression
                    except Exception:
                        pass
            elif not _all_safe({name: v}):
                v = "unknown"
            hints[name] = v
    return hints


def _unwrap(tp):
    """Strips Annotated, NewType; TypeVars and object become Any."""
    for _ in range(20):
        if typing.get_origin(tp) is typing.Annotated:
            tp = tp.__origin__
        elif isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        elif isinstance(tp, typing.TypeVar):
            return typing.Any
        else:
            break
    if tp is object:
        return typing.Any
    return tp


def _union_members(tp):
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


_LIST_ORIGINS = {
    list: list,
    collections.abc.Sequence: list,
    collections.abc.MutableSequence: list,
    collections.abc.Iterable: list,
    collections.abc.Collection: list,
    tuple: tuple,
    set: set,
    collections.abc.Set: set,
    collections.abc.MutableSet: set,
    frozenset: frozenset,
}
_DICT_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def _is_dataclass_type(tp):
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _takes_dict(tp):
    """Whether an annotation accepts a whole JSON object."""
    tp = _unwrap(tp)
    if tp is _EMPTY or tp is typing.Any:
        return True
    members = _union_members(tp)
    if members is not None:
        return any(_takes_dict(m) for m in members if m is not type(None))
    origin = typing.get_origin(tp) or tp
    return (origin in _DICT_ORIGINS or _is_dataclass_type(tp)
            or (isinstance(tp, type) and typing.is_typeddict(tp)))


def _takes_list(tp):
    """Whether a repeated query parameter should bind as a list (else: the
    last value wins, as in FastAPI)."""
    tp = _unwrap(tp)
    if tp is _EMPTY or tp is typing.Any or isinstance(tp, str):
        return True
    members = _union_members(tp)
    if members is not None:
        return any(_takes_list(m) for m in members)
    return (typing.get_origin(tp) or tp) in _LIST_ORIGINS


# ---------------------------------------------------------------------------
# Converters: conv(value, from_query) -> converted value, or raise _Bad.
# from_query is true for a raw query string (or a list of them); values from a
# JSON body are JSON types. None as a converter means "pass through".


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


def _optional_module_type(module, name):
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


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


# ---------------------------------------------------------------------------
# Binding.


class Binder:
    """Binds one call's query parameters and JSON body to fn's parameters.

    Query parameters and the fields of a JSON object body bind by name, the
    body winning over the query. A function of exactly one parameter also
    takes a non-object body whole, and an object body whose keys miss its
    name when the parameter accepts an object. Unknown names go to **kwargs,
    or are ignored."""

    def __init__(self, fn):
        self.fn = fn
        self.params = []  # (name, conv, required, default, positional_only, takes_list)
        self.names = frozenset()
        self.var_kw = False
        self.kw_conv = None
        self.kw_list = True
        self.single = None
        self.single_takes_dict = False
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            self.var_kw = True  # unknown signature: pass every name through
            return
        hints = {}
        try:
            hints = type_hints(_annotated_target(fn))
        except Exception:
            pass
        P = inspect.Parameter
        for p in sig.parameters.values():
            if p.kind is P.VAR_POSITIONAL:
                continue
            ann = hints.get(p.name, p.annotation)
            if p.kind is P.VAR_KEYWORD:
                self.var_kw = True
                self.kw_conv = _safe_converter(ann)
                self.kw_list = _safe_predicate(_takes_list, ann, True)
                continue
            posonly = p.kind is P.POSITIONAL_ONLY
            self.params.append((p.name, _safe_converter(ann), p.default is _EMPTY, p.default, posonly,
                                _safe_predicate(_takes_list, ann, True)))
            if len(self.params) == 1:
                self.single_takes_dict = _safe_predicate(_takes_dict, ann, False)
        self.names = frozenset(p[0] for p in self.params)
        if len(self.params) == 1:
            self.single = self.params[0][0]

    def bind(self, query, body):
        """query: (name, value) pairs or None; body: a JSON value or NO_BODY.
        Returns (args, kwargs); raises InvalidArguments."""
        q = None
        if query:
            q = {}
            for k, v in query:
                old = q.get(k, _MISSING)
                if old is _MISSING:
                    q[k] = v
                elif type(old) is list:
                    old.append(v)
                else:
                    q[k] = [old, v]
        b = None
        whole = _MISSING
        if body is not NO_BODY:
            if type(body) is dict:
                single = self.single
                if single is not None and body and single not in body and self.single_takes_dict:
                    whole = body
                else:
                    b = body
            elif self.single is not None:
                whole = body
            elif self.params:
                raise InvalidArguments([{
                    "parameter": "(body)",
                    "error": "expected a JSON object of named arguments, got " + _got(body),
                }])
        args = []
        kwargs = {}
        problems = None
        for name, conv, required, default, posonly, takes_list in self.params:
            if whole is not _MISSING:
                v, fq = whole, False
            elif b is not None and name in b:
                v, fq = b[name], False
            elif q is not None and name in q:
                v, fq = q[name], True
                if type(v) is list and not takes_list:
                    v = v[-1]
            else:
                if required:
                    if problems is None:
                        problems = []
                    problems.append({"parameter": name, "error": "missing"})
                elif posonly:
                    args.append(default)
                continue
            if conv is not None:
                try:
                    v = conv(v, fq)
                except _Bad as e:
                    if problems is None:
                        problems = []
                    problems.append({"parameter": name, "error": e.text()})
                    continue
            if posonly:
                args.append(v)
            else:
                kwargs[name] = v
        if self.var_kw:
            problems = self._bind_extra(q, b, kwargs, problems)
        if problems:
            raise InvalidArguments(problems)
        return args, kwargs

    def _bind_extra(self, q, b, kwargs, problems):
        names = self.names
        conv = self.kw_conv
        extra = []
        if q is not None:
            for k, v in q.items():
                if k not in names and (b is None or k not in b):
                    if type(v) is list and not self.kw_list:
                        v = v[-1]
                    extra.append((k, v, True))
        if b is not None:
            for k, v in b.items():
                if k not in names:
                    extra.append((k, v, False))
        for k, v, fq in extra:
            if conv is not None:
                try:
                    v = conv(v, fq)
                except _Bad as e:
                    if problems is None:
                        problems = []
                    problems.append({"parameter": k, "error": e.text()})
                    continue
            kwargs[k] = v
        return problems


def _annotated_target(fn):
    """The object whose annotations describe fn's parameters."""
    target = inspect.unwrap(fn)
    if isinstance(target, type):
        return target.__init__
    if not isinstance(target, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        call = getattr(type(target), "__call__", None)
        if call is not None:
            return call
    return target


def _safe_converter(ann):
    try:
        return converter(ann)
    except Exception:
        return None


def _safe_predicate(pred, ann, fallback):
    try:
        return pred(ann)
    except Exception:
        return fallback


def describe_exception(e):
    """"ExcType: message", or "ExcType" when the message is empty."""
    name = type(e).__name__
    try:
        text = str(e)
    except BaseException:
        text = ""
    return "%s: %s" % (name, text) if text else name


# ---------------------------------------------------------------------------
# Results.

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
