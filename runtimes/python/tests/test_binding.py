"""Table tests of stargate_binding: conversion, binding, results to JSON."""

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import json
import math
import os
import sys
import typing
import unittest
import uuid
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Set, Tuple, Union

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import stargate_binding as binding  # noqa: E402

try:
    import numpy
except ImportError:
    numpy = None


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


@dataclasses.dataclass
class Shape:
    name: str
    points: List[Point]
    color: Color = Color.RED


@dataclasses.dataclass
class Node:
    value: int
    children: "List[Node]" = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Checked:
    n: int

    def __post_init__(self):
        if self.n < 0:
            raise ValueError("n must not be negative")


UserId = typing.NewType("UserId", int)

class E:
    """An expected refusal: a fragment of the error text."""

    def __init__(self, fragment):
        self.fragment = fragment

    def __repr__(self):
        return "E(%r)" % self.fragment


def convert(annotation, value, from_query=False):
    c = binding.converter(annotation)
    return value if c is None else c(value, from_query)


class ConvertTest(unittest.TestCase):
    # (annotation, value, from query, want); want is an Exception class plus
    # a fragment of the message when the value must be refused.
    cases = [
        # int
        (int, 5, False, 5),
        (int, "12", True, 12),
        (int, " -3 ", True, -3),
        (int, "+7", False, 7),
        (int, 4.0, False, 4),
        (int, 4.5, False, E("expected an integer, got 4.5")),
        (int, "abc", True, E("expected an integer, got 'abc'")),
        (int, "1.0", True, E("expected an integer")),
        (int, "", True, E("expected an integer, got ''")),
        (int, "1_000", True, E("expected an integer")),
        (int, "١٢", True, E("expected an integer")),
        (int, True, False, E("expected an integer, got true")),
        (int, None, False, E("expected an integer, got null")),
        (int, [1], False, E("expected an integer, got a list")),
        # float
        (float, 1.5, False, 1.5),
        (float, 2, False, 2.0),
        (float, "2.5", True, 2.5),
        (float, "1e3", True, 1000.0),
        (float, False, False, E("expected a number, got false")),
        (float, "x", True, E("expected a number, got 'x'")),
        (float, {}, False, E("expected a number, got an object")),
        # bool
        (bool, True, False, True),
        (bool, "true", True, True),
        (bool, "FALSE", True, False),
        (bool, "yes", True, True),
        (bool, "off", True, False),
        (bool, "1", True, True),
        (bool, "0", True, False),
        (bool, 1, False, True),
        (bool, 0, False, False),
        (bool, 2, False, E("expected a boolean, got 2")),
        (bool, "maybe", True, E("expected a boolean, got 'maybe'")),
        # str, bytes
        (str, "x", False, "x"),
        (str, "", True, ""),
        (str, 5, False, E("expected a string, got 5")),
        (str, None, False, E("expected a string, got null")),
        (bytes, "hé", False, "hé".encode()),
        (bytes, 5, False, E("expected a string")),
        # lists
        (list, [1, "a"], False, [1, "a"]),
        (List[int], [1, "2", 3.0], False, [1, 2, 3]),
        (list[int], ["1", "2"], True, [1, 2]),  # a repeated query parameter
        (list[int], "[1, 2]", True, [1, 2]),  # a query value holding a JSON array
        (list[int], "5", True, [5]),  # a single query value
        (list[str], "a", True, ["a"]),
        (list[int], "[1, 2", True, E("not valid JSON")),
        (list[int], [1, "x"], False, E("[1]: expected an integer, got 'x'")),
        (list[int], {"a": 1}, False, E("expected a list, got an object")),
        (list[int], "[1]", False, E("expected a list, got '[1]'")),  # only query values hold JSON
        (Sequence[float], [1, 2], False, [1.0, 2.0]),
        (collections.abc.Sequence, [1], False, [1]),
        (tuple, [1, 2], False, (1, 2)),
        (Tuple[int, ...], ["1", 2], False, (1, 2)),
        (tuple[int, str], [1, "a"], False, (1, "a")),
        (tuple[int, str], [1], False, E("expected a list of 2 items, got 1")),
        (set, [1, 2, 2], False, {1, 2}),
        (Set[int], ["1", "2"], True, {1, 2}),
        (frozenset[str], ["a"], False, frozenset({"a"})),
        (set, [[1]], False, E("hashable")),
        (list[list[int]], [[1], ["2"]], False, [[1], [2]]),
        # dicts
        (dict, {"a": 1}, False, {"a": 1}),
        (Dict[str, int], {"a": "1"}, False, {"a": 1}),
        (dict[int, float], {"1": 2}, False, {1: 2.0}),
        (dict[str, int], {"a": "x"}, False, E("a: expected an integer, got 'x'")),
        (dict[int, int], {"k": 1}, False, E("key 'k': expected an integer")),
        (Mapping[str, Any], {"a": [1]}, False, {"a": [1]}),
        (dict, '{"a": 1}', True, {"a": 1}),
        (dict, "a=1", True, E("expected an object, got 'a=1'")),
        (dict, [1], False, E("expected an object, got a list")),
        # Optional, Union
        (Optional[int], None, False, None),
        (Optional[int], "3", True, 3),
        (int | None, None, False, None),
        (int | None, "x", True, E("expected an integer, got 'x'")),
        (Union[int, str], "5", True, 5),  # from the query: the first that converts
        (Union[int, str], "abc", True, "abc"),
        (Union[str, int], 5, False, 5),  # a JSON value of a member's exact type keeps it
        (Union[str, int], "5", False, "5"),
        (Union[int, float], 1.5, False, 1.5),
        (Union[int, List[int]], [1], False, [1]),
        (Union[int, bool], [1], False, E("expected int | bool, got a list")),
        (Optional[Union[int, str]], None, False, None),
        # Any, unannotated, unknown
        (Any, {"a": 1}, False, {"a": 1}),
        (Any, "x", True, "x"),
        (object, [1], False, [1]),
        (complex, "1+2j", True, "1+2j"),  # unknown: passed through
        ("SomethingUnresolved", 5, False, 5),
        # Literal, Enum
        (Literal["a", "b"], "a", False, "a"),
        (Literal["a", "b"], "c", False, E("expected one of 'a', 'b', got 'c'")),
        (Literal[1, 2], "2", True, 2),
        (Literal[1, 2], True, False, E("expected one of 1, 2, got true")),
        (Color, "red", False, Color.RED),
        (Color, "blue", False, E("expected one of 'red', 'green', got 'blue'")),
        (Level, 2, False, Level.HIGH),
        (Level, "1", True, Level.LOW),
        (Level, 3, False, E("expected one of 1, 2, got 3")),
        # dataclasses
        (Point, {"x": "1"}, False, Point(1, 0)),
        (Point, '{"x": 1, "y": 2}', True, Point(1, 2)),
        (Point, {"y": 1}, False, E("x: missing")),
        (Point, {"x": 1, "extra": 1}, False, Point(1, 0)),
        (Shape, {"name": "s", "points": [{"x": 1}], "color": "green"}, False,
         Shape("s", [Point(1)], Color.GREEN)),
        (Shape, {"name": "s", "points": [{"x": 1}, {"x": "q"}]}, False,
         E("points[1].x: expected an integer, got 'q'")),
        (Node, {"value": 1, "children": [{"value": 2}]}, False, Node(1, [Node(2)])),
        (Checked, {"n": -1}, False, E("invalid Checked: ValueError: n must not be negative")),
        (Point, [1], False, E("expected an object, got a list")),
        # Annotated, NewType, extras
        (typing.Annotated[int, "meta"], "4", True, 4),
        (UserId, "9", True, 9),
        (datetime.date, "2024-01-28", False, datetime.date(2024, 1, 28)),
        (datetime.datetime, "2024-01-28T10:30:00", False, datetime.datetime(2024, 1, 28, 10, 30)),
        (datetime.date, "yesterday", False, E("expected an ISO 8601 date")),
        (decimal.Decimal, "1.10", True, decimal.Decimal("1.10")),
        (uuid.UUID, "12345678-1234-5678-1234-567812345678", False, uuid.UUID("12345678123456781234567812345678")),
        (type(None), None, False, None),
    ]

    def test_table(self):
        for annotation, value, from_query, want in self.cases:
            with self.subTest(annotation=annotation, value=value, from_query=from_query):
                if isinstance(want, E):
                    with self.assertRaises(binding._Bad) as cm:
                        convert(annotation, value, from_query)
                    self.assertIn(want.fragment, cm.exception.text())
                else:
                    got = convert(annotation, value, from_query)
                    self.assertEqual(got, want)
                    self.assertIs(type(got), type(want))


def f_basic(a: int, b: str = "x", *, flag: bool = False):
    return a, b, flag


def f_list(values: list[float]):
    return values


def f_dict(data: dict):
    return data


def f_any(data):
    return data


def f_int(n: int):
    return n


def f_kwargs(a: int = 0, **rest):
    return rest


def f_kwargs_int(**rest: int):
    return rest


def f_posonly(a: int, b: int = 5, /, c: int = 6):
    return a, b, c


def f_two(a, b):
    return a, b


def f_varargs(*args, x: int = 1):
    return args


def f_none():
    return 1


def f_point(p: Point):
    return p


def f_optional_dict(d: Optional[Dict[str, int]] = None):
    return d


def f_repeat(tags: list[str], name: str = "", anything=None):
    return tags


class BindTest(unittest.TestCase):
    # (function, query pairs, body, want (args, kwargs) or a list of problems)
    cases = [
        (f_basic, [("a", "1")], binding.NO_BODY, ([], {"a": 1})),
        (f_basic, [("a", "1"), ("b", "y"), ("flag", "on")], binding.NO_BODY, ([], {"a": 1, "b": "y", "flag": True})),
        (f_basic, [("a", "1")], {"a": 2}, ([], {"a": 2})),  # the body wins over the query
        (f_basic, [("a", "1"), ("zzz", "1")], binding.NO_BODY, ([], {"a": 1})),  # unknown names are ignored
        (f_basic, None, binding.NO_BODY, [{"parameter": "a", "error": "missing"}]),
        (f_basic, [("a", "x"), ("flag", "2")], binding.NO_BODY, [
            {"parameter": "a", "error": "expected an integer, got 'x'"},
            {"parameter": "flag", "error": "expected a boolean, got '2'"}]),
        (f_basic, None, [1, 2], [{"parameter": "(body)",
                                  "error": "expected a JSON object of named arguments, got a list"}]),
        (f_basic, [("a", "1"), ("a", "2")], binding.NO_BODY, ([], {"a": 2})),  # a scalar takes the last value
        (f_repeat, [("tags", "a"), ("tags", "b"), ("name", "x"), ("name", "y"), ("anything", "1"), ("anything", "2")],
         binding.NO_BODY, ([], {"tags": ["a", "b"], "name": "y", "anything": ["1", "2"]})),
        # one parameter: a non-object body is taken whole
        (f_list, None, [1, "2.5"], ([], {"values": [1.0, 2.5]})),
        (f_list, None, {"values": [1]}, ([], {"values": [1.0]})),
        (f_list, None, {"other": [1]}, [{"parameter": "values", "error": "missing"}]),
        (f_int, None, 5, ([], {"n": 5})),
        (f_int, None, "7", ([], {"n": 7})),
        (f_int, None, None, [{"parameter": "n", "error": "expected an integer, got null"}]),
        (f_any, None, "text", ([], {"data": "text"})),
        (f_any, None, None, ([], {"data": None})),
        # one parameter that accepts an object: an object body without its name is taken whole
        (f_dict, None, {"a": 1, "b": 2}, ([], {"data": {"a": 1, "b": 2}})),
        (f_dict, None, {"data": {"a": 1}}, ([], {"data": {"a": 1}})),
        (f_dict, None, {}, [{"parameter": "data", "error": "missing"}]),
        (f_any, None, {"x": 1}, ([], {"data": {"x": 1}})),
        (f_optional_dict, None, {"x": "1"}, ([], {"d": {"x": 1}})),
        (f_point, None, {"x": 1, "y": 2}, ([], {"p": Point(1, 2)})),
        (f_point, None, {"p": {"x": 3}}, ([], {"p": Point(3, 0)})),
        # **kwargs
        (f_kwargs, [("q", "1"), ("a", "2")], {"b": [1]}, ([], {"a": 2, "q": "1", "b": [1]})),
        (f_kwargs, [("q", "1")], {"q": 2}, ([], {"q": 2})),
        (f_kwargs_int, [("x", "1")], {"y": "2"}, ([], {"x": 1, "y": 2})),
        (f_kwargs_int, [("x", "z")], binding.NO_BODY, [{"parameter": "x", "error": "expected an integer, got 'z'"}]),
        # positional-only parameters bind by name too
        (f_posonly, [("a", "1"), ("c", "3")], binding.NO_BODY, ([1, 5], {"c": 3})),
        (f_posonly, [("a", "1"), ("b", "2")], binding.NO_BODY, ([1, 2], {})),
        # *args is ignored; with one other parameter that one takes a whole body
        (f_varargs, None, "3", ([], {"x": 3})),
        (f_two, [("a", "1")], {"b": 2}, ([], {"a": "1", "b": 2})),
        (f_none, [("a", "1")], [1, 2], ([], {})),
        (f_none, None, {"a": 1}, ([], {})),
    ]

    def test_table(self):
        for fn, query, body, want in self.cases:
            with self.subTest(fn=fn.__name__, query=query, body=body):
                b = binding.Binder(fn)
                if isinstance(want, list):
                    with self.assertRaises(binding.InvalidArguments) as cm:
                        b.bind(query, body)
                    self.assertEqual(cm.exception.problems, want)
                else:
                    args, kwargs = b.bind(query, body)
                    self.assertEqual((args, kwargs), want)
                    fn(*args, **kwargs)  # the call is valid

    def test_message_names_every_bad_parameter(self):
        with self.assertRaises(binding.InvalidArguments) as cm:
            binding.Binder(f_basic).bind([("flag", "x")], binding.NO_BODY)
        self.assertEqual(cm.exception.message(),
                         "invalid arguments: a: missing; flag: expected a boolean, got 'x'")

    def test_future_annotations_resolve(self):
        ns = {}
        exec("from __future__ import annotations\n"
             "from typing import Optional\n"
             "def f(n: int, tags: Optional[list[str]] = None, s: Missing = None):\n"
             "    return n\n", ns)
        b = binding.Binder(ns["f"])
        args, kwargs = b.bind([("n", "3"), ("tags", "a"), ("s", "x")], binding.NO_BODY)
        self.assertEqual(kwargs, {"n": 3, "tags": ["a"], "s": "x"})  # Missing cannot resolve: passed through

    def test_string_annotations_are_not_run(self):
        ns = {"hits": []}
        exec("def f(n: \"hits.append(1) or int\", m: \"__import__('os').getpid()\" = 0):\n"
             "    return n\n", ns)
        b = binding.Binder(ns["f"])
        self.assertEqual(ns["hits"], [])
        self.assertEqual(b.bind([("n", "3")], binding.NO_BODY), ([], {"n": "3"}))

    def test_signature_less_callable_gets_everything(self):
        b = binding.Binder(print)
        self.assertTrue(b.var_kw or b.params)


class Frozen:
    pass


@dataclasses.dataclass
class Result:
    when: datetime.date
    tags: set
    inner: Point


class DumpsTest(unittest.TestCase):
    # (value, want JSON text) or (value, Unserializable, fragment)
    cases = [
        ({"a": [1, 2.5, "x", True, None]}, '{"a":[1,2.5,"x",true,null]}'),
        ((1, 2), "[1,2]"),
        ({3, 1, 2}, "[1,2,3]"),
        (frozenset({"b", "a"}), '["a","b"]'),
        ({1, "a"}, None),  # unsortable: some order, both present
        (float("nan"), "null"),
        ([float("inf"), -float("inf"), 1.0], "[null,null,1.0]"),
        (b"hi", '"aGk="'),
        (bytearray(b"\x00"), '"AA=="'),
        (datetime.datetime(2024, 1, 28, 10, 30), '"2024-01-28T10:30:00"'),
        (datetime.date(2024, 1, 28), '"2024-01-28"'),
        (datetime.time(10, 30), '"10:30:00"'),
        (decimal.Decimal("1.5"), "1.5"),
        (decimal.Decimal("NaN"), '"NaN"'),
        (Color.GREEN, '"green"'),
        (Level.HIGH, "2"),
        (Result(datetime.date(2024, 1, 1), {2, 1}, Point(1)),
         '{"when":"2024-01-01","tags":[1,2],"inner":{"x":1,"y":0}}'),
        ({1: "a", 2.5: "b", None: "d", False: "e"}, '{"1":"a","2.5":"b","null":"d","false":"e"}'),
        ({1: {1, 2}, None: b"x"}, '{"1":[1,2],"null":"eA=="}'),  # the slow path writes keys the same way
        ({"é": "ü"}, '{"é":"ü"}'),
        ("\ud800", '"\\ud800"'),  # a lone surrogate is escaped, never invalid UTF-8
        ({Color.RED: 1}, '{"red":1}'),
        (None, "null"),
        ("text", '"text"'),
        (Frozen(), binding.Unserializable, "cannot turn a Frozen into JSON"),
        ({"a": [1, {"b": object()}]}, binding.Unserializable, "a[1].b: cannot turn an object into JSON"),
        ({(1, 2): 1}, binding.Unserializable, "cannot use a tuple as a JSON object key"),
        (1 + 2j, binding.Unserializable, "cannot turn a complex"),
        (iter([1]), binding.Unserializable, "cannot turn"),
    ]

    def test_table(self):
        for case in self.cases:
            value = case[0]
            with self.subTest(value=repr(value)[:60]):
                if len(case) == 3:
                    with self.assertRaises(case[1]) as cm:
                        binding.dumps(value)
                    self.assertIn(case[2], str(cm.exception))
                    continue
                got = binding.dumps(value)
                self.assertIsInstance(got, bytes)
                json.loads(got)  # valid JSON
                if case[1] is not None:
                    self.assertEqual(got.decode(), case[1])

    def test_dict_keys(self):
        got = json.loads(binding.dumps({1: "a", 2.5: "b", None: "d", False: "e"}))
        self.assertEqual(got, {"1": "a", "2.5": "b", "null": "d", "false": "e"})

    def test_cycle(self):
        a = []
        a.append(a)
        with self.assertRaises(binding.Unserializable) as cm:
            binding.dumps({"a": a})
        self.assertIn("circular reference", str(cm.exception))

    def test_unsortable_set(self):
        self.assertEqual(sorted(json.loads(binding.dumps({1, "a"})), key=str), [1, "a"])

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy(self):
        value = {"a": numpy.arange(3), "m": numpy.eye(2, dtype=numpy.float32), "f": numpy.float64(1.5),
                 "i": numpy.int64(7), "b": numpy.bool_(True), "nan": numpy.float64("nan"),
                 numpy.int32(3): "key"}
        got = json.loads(binding.dumps(value))
        self.assertEqual(got, {"a": [0, 1, 2], "m": [[1.0, 0.0], [0.0, 1.0]], "f": 1.5, "i": 7, "b": True,
                               "nan": None, "3": "key"})
        self.assertTrue(math.isfinite(got["f"]))


if __name__ == "__main__":
    unittest.main()
