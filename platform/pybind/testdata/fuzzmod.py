"""Functions FuzzBinding calls through the real runner, one kind of
annotation each (and a few that take many).

Every function returns what it was given, so each answer also goes through
result encoding. Before that, each checks that the binder kept its promise:
a value of the annotated type, or a 422 instead. A broken promise raises
WrongType, which FuzzBinding reports as a binding bug rather than as the
function's own error.
"""

import dataclasses
import enum
from typing import Literal, Optional, Union


class WrongType(Exception):
    """The binder handed a function a value its annotation does not allow."""


def expect(ok, name, value):
    if not ok:
        raise WrongType("%s got %s %r" % (name, type(value).__name__, value))


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Priority(enum.Enum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    x: float
    y: float
    label: str = ""


@dataclasses.dataclass
class Tree:
    name: str
    children: list["Tree"] = dataclasses.field(default_factory=list)
    weight: Optional[float] = None


@dataclasses.dataclass
class Node:
    """A linked list: a dataclass that refers to itself through Optional."""

    value: int
    next: Optional["Node"] = None


def is_int(v):
    return type(v) is int


def check_point(p):
    return type(p) is Point and type(p.x) is float and type(p.y) is float and type(p.label) is str


def check_tree(t, depth=0):
    if type(t) is not Tree or type(t.name) is not str or type(t.children) is not list:
        return False
    if t.weight is not None and type(t.weight) is not float:
        return False
    return depth > 50 or all(check_tree(c, depth + 1) for c in t.children)


def f_int(x: int):
    expect(is_int(x), "int", x)
    return x


def f_float(x: float):
    expect(type(x) is float, "float", x)
    return x


def f_bool(x: bool):
    expect(type(x) is bool, "bool", x)
    return x


def f_str(x: str):
    expect(type(x) is str, "str", x)
    return x


def f_bytes(x: bytes):
    expect(type(x) is bytes, "bytes", x)
    return x


def f_list(x: list[int]):
    expect(type(x) is list and all(is_int(i) for i in x), "list[int]", x)
    return x


def f_dict(x: dict[str, float]):
    expect(type(x) is dict and all(type(k) is str and type(v) is float for k, v in x.items()),
           "dict[str, float]", x)
    return x


def f_optional(x: Optional[int] = None):
    expect(x is None or is_int(x), "Optional[int]", x)
    return x


def f_union(x: Union[int, str]):
    expect(is_int(x) or type(x) is str, "Union[int, str]", x)
    return x


def f_literal(x: Literal["a", "b"]):
    expect(x in ("a", "b") and type(x) is str, "Literal", x)
    return x


def f_enum(x: Color):
    expect(type(x) is Color, "Color", x)
    return x


def f_dataclass(p: Point):
    expect(check_point(p), "Point", p)
    return p


def f_tuple(x: tuple[int, ...]):
    expect(type(x) is tuple and all(is_int(i) for i in x), "tuple[int, ...]", x)
    return x


def f_any(x):
    return x


def f_varargs(*args, **kwargs):
    expect(args == (), "*args", args)
    return kwargs


def f_tree(t: Tree):
    expect(check_tree(t), "Tree", t)
    return t


def f_many(
    i: int,
    f: float = 0.5,
    b: bool = False,
    s: str = "",
    raw: bytes = b"",
    li: Optional[list[int]] = None,
    d: Optional[dict[str, float]] = None,
    o: Optional[int] = None,
    u: Union[int, str] = 0,
    lit: Literal["a", "b"] = "a",
    c: Color = Color.RED,
    pr: Priority = Priority.LOW,
    p: Optional[Point] = None,
    t: tuple[int, ...] = (),
    pair: tuple[int, str] = (0, ""),
    tags: set[str] = frozenset(),
    a=None,
    *rest,
    **extra: int,
):
    expect(is_int(i), "i", i)
    expect(type(f) is float, "f", f)
    expect(type(b) is bool, "b", b)
    expect(type(s) is str, "s", s)
    expect(type(raw) is bytes, "raw", raw)
    expect(li is None or (type(li) is list and all(is_int(v) for v in li)), "li", li)
    expect(d is None or (type(d) is dict and all(type(v) is float for v in d.values())), "d", d)
    expect(o is None or is_int(o), "o", o)
    expect(is_int(u) or type(u) is str, "u", u)
    expect(lit in ("a", "b"), "lit", lit)
    expect(type(c) is Color, "c", c)
    expect(type(pr) is Priority, "pr", pr)
    expect(p is None or check_point(p), "p", p)
    expect(type(t) is tuple and all(is_int(v) for v in t), "t", t)
    expect(type(pair) is tuple and len(pair) == 2 and is_int(pair[0]) and type(pair[1]) is str, "pair", pair)
    expect(isinstance(tags, (set, frozenset)) and all(type(v) is str for v in tags), "tags", tags)
    expect(rest == (), "rest", rest)
    expect(all(is_int(v) for v in extra.values()), "extra", extra)
    return {"i": i, "f": f, "b": b, "s": s, "raw": raw, "li": li, "d": d, "o": o, "u": u, "lit": lit,
            "c": c, "pr": pr, "p": p, "t": t, "pair": pair, "tags": tags, "a": a, "extra": extra}


def f_kinds(a: int, /, b: str = "x", *, c: float = 0.0, **kw):
    expect(is_int(a) and type(b) is str and type(c) is float, "kinds", (a, b, c))
    return [a, b, c, kw]


async def f_async(x: list[float], scale: float = 1.0):
    expect(type(x) is list and all(type(v) is float for v in x) and type(scale) is float, "async", x)
    return [v * scale for v in x]


def f_node(n: Node):
    length, total = 0, 0
    while n is not None:
        expect(type(n) is Node and is_int(n.value), "Node", n)
        length, total, n = length + 1, total + n.value, n.next
    return {"length": length, "total": total}


def f_counts(x: dict[tuple, int]):
    expect(type(x) is dict and all(type(k) is tuple and is_int(v) for k, v in x.items()), "dict[tuple, int]", x)
    return [[list(k), v] for k, v in x.items()]
