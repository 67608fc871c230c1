"""Structural pattern matching over dataclasses, mappings and sequences."""
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int


@dataclass
class Box:
    origin: Point
    size: int


def describe_shape(shape) -> str:
    match shape:
        case Point(x=0, y=0):
            return "origin"
        case Point(x, y) if x == y:
            return f"diagonal {x}"
        case Box(Point(x, y), size=s):
            return f"box at {x},{y} size {s}"
        case {"kind": "circle", "r": r}:
            return f"circle {r}"
        case [first, *rest]:
            return f"list of {1 + len(rest)} starting {first}"
        case str() | bytes():
            return "text"
        case None:
            return "nothing"
        case _:
            return "unknown"
