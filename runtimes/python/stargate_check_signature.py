"""The entry function's signature, from its source: parameters, defaults,
docstring, and a JSON schema for each annotation."""

import ast
import json

from stargate_check_refs import tail_name

# --- signatures -------------------------------------------------------------------------

_SCALARS = {
    "int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
    "str": {"type": "string"}, "bytes": {"type": "string"}, "bytearray": {"type": "string"},
    "None": {"type": "null"}, "NoneType": {"type": "null"}, "Any": {}, "object": {},
    "Decimal": {"type": "number"}, "Fraction": {"type": "number"},
}
_ARRAYS = frozenset(
    "list List Sequence MutableSequence tuple Tuple set Set frozenset FrozenSet Iterable "
    "Iterator Collection AbstractSet MutableSet deque Deque ndarray NDArray ArrayLike".split()
)
_OBJECTS = frozenset("dict Dict Mapping MutableMapping OrderedDict defaultdict DefaultDict Counter".split())


def annotation_schema(node, depth=0):
    if node is None or depth > 20:
        return {}
    t = type(node)
    if t is ast.Constant:
        if node.value is None:
            return {"type": "null"}
        if isinstance(node.value, str):
            try:
                return annotation_schema(ast.parse(node.value.strip(), mode="eval").body, depth + 1)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return {}
        return {}
    if t is ast.BinOp and type(node.op) is ast.BitOr:
        return _union([annotation_schema(node.left, depth + 1), annotation_schema(node.right, depth + 1)])
    name = tail_name(node)
    if name is not None:
        if name in _SCALARS:
            return dict(_SCALARS[name])
        if name in _ARRAYS:
            return {"type": "array"}
        if name in _OBJECTS:
            return {"type": "object"}
        return {}
    if t is ast.Subscript:
        base = tail_name(node.value)
        args = node.slice.elts if type(node.slice) is ast.Tuple else [node.slice]
        if base == "Optional":
            return _union([annotation_schema(args[0], depth + 1), {"type": "null"}])
        if base == "Union":
            return _union([annotation_schema(a, depth + 1) for a in args])
        if base == "Annotated":
            return annotation_schema(args[0], depth + 1)
        if base == "Literal":
            values = [a.value for a in args if type(a) is ast.Constant and isinstance(a.value, (str, int, float, bool))]
            return {"enum": values} if values else {}
        if base in _ARRAYS:
            s = {"type": "array"}
            if base in ("tuple", "Tuple") and not (len(args) == 2 and type(args[1]) is ast.Constant and args[1].value is Ellipsis):
                # tuple[X, Y]: items only when every position has the same schema
                schemas = [annotation_schema(a, depth + 1) for a in args]
                item_schema = schemas[0] if schemas and all(x == schemas[0] for x in schemas) else {}
            else:
                item_schema = annotation_schema(args[0], depth + 1) if args else {}
            if item_schema:
                s["items"] = item_schema
            return s
        if base in _OBJECTS:
            s = {"type": "object"}
            if len(args) == 2:
                values = annotation_schema(args[1], depth + 1)
                if values:
                    s["additionalProperties"] = values
            return s
        return annotation_schema(node.value, depth + 1)
    return {}


def _union(parts):
    nullable = any(p == {"type": "null"} for p in parts)
    others = [p for p in parts if p != {"type": "null"}]
    if any(p == {} for p in others):
        s = {}
    elif not others:
        return {"type": "null"}
    elif len(others) == 1:
        s = dict(others[0])
    else:
        unique = []
        for p in others:
            if p not in unique:
                unique.append(p)
        s = dict(unique[0]) if len(unique) == 1 else {"anyOf": unique}
    if nullable:
        s["nullable"] = True
    return s


def _literal_default(node):
    try:
        value = ast.literal_eval(node)
        if isinstance(value, tuple):
            value = list(value)
        json.dumps(value, allow_nan=False)
        return True, value
    except Exception:
        return False, None


def _unparse(node):
    try:
        return ast.unparse(node)
    except Exception:
        return None


def signature(fn):
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params = []

    def add(arg, kind, default):
        schema = annotation_schema(arg.annotation)
        if default is not None:
            ok, value = _literal_default(default)
            if ok:
                schema["default"] = value
        params.append({
            "name": arg.arg,
            "kind": kind,
            "annotation": _unparse(arg.annotation) if arg.annotation is not None else None,
            "default": _unparse(default) if default is not None else None,
            "required": default is None and kind not in ("var_positional", "var_keyword"),
            "schema": schema,
        })

    for i, arg in enumerate(positional):
        add(arg, "positional_only" if i < len(a.posonlyargs) else "positional_or_keyword", defaults[i])
    if a.vararg is not None:
        add(a.vararg, "var_positional", None)
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        add(arg, "keyword_only", default)
    if a.kwarg is not None:
        add(a.kwarg, "var_keyword", None)
    return {
        "name": fn.name,
        "params": params,
        "doc": ast.get_docstring(fn),
        "returns": _unparse(fn.returns) if fn.returns is not None else None,
        "return_schema": annotation_schema(fn.returns),
        "async": type(fn) is ast.AsyncFunctionDef,
    }


def top_level_function(tree, name):
    found = None
    for stmt in tree.body:
        if type(stmt) in (ast.FunctionDef, ast.AsyncFunctionDef) and stmt.name == name:
            found = stmt
    return found
