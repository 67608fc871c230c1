"""Annotations: resolving them without running code a validator never saw,
and reading what they accept (stargate_binding's Binder and converters).

_optional_module_type finds a type of an optional module (decimal, uuid)
through sys.modules; such modules are never imported here.
"""

import collections.abc
import dataclasses
import inspect
import sys
import types
import typing

_EMPTY = inspect.Parameter.empty


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


def _optional_module_type(module, name):
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None
