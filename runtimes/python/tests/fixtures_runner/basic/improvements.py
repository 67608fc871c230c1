"""Runner test fixture: one module, many functions; each test serves one."""

import asyncio
import dataclasses
import enum
import sys
from typing import Optional

import helper
from pkg.util import double

print("imported improvements", file=sys.stderr, flush=True)


def hello(name: str = "world"):
    return {"hello": name}


def add(a: int, b: int = 2):
    return a + b


def enhanced_scan(image: str, threshold: float = 0.5, tags: Optional[list[str]] = None, strict: bool = False):
    return {"image": image, "threshold": threshold, "tags": tags, "strict": strict, "double": double(threshold)}


def fail(n: int = 1):
    return helper.explode(n)


def exit_now():
    raise SystemExit(3)


def interrupt():
    raise KeyboardInterrupt("stop")


def total(values: list[float]):
    return sum(values)


def describe(data: dict):
    return {"keys": sorted(data), "size": len(data)}


def count(items):
    return len(items)


def echo(**kwargs):
    return kwargs


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


def shapes(color: Color, at: Point):
    return {"color": color, "at": at, "set": {3, 1, 2}, "bytes": b"hi"}


def unserializable():
    return {"ok": object()}


def numbers():
    import numpy as np

    return {"array": np.arange(3), "matrix": np.eye(2), "mean": np.float64(1.5), "n": np.int64(7),
            "nan": np.float64("nan"), "flag": np.bool_(True)}


def read_data():
    with open("data.txt") as f:  # relative to the working directory
        return f.read().strip()


async def slow(delay: float = 0.1, tag: str = ""):
    await asyncio.sleep(delay)
    return {"tag": tag}


async def async_exit():
    await asyncio.sleep(0)
    raise SystemExit(4)


async def spawn_exit():
    async def bad():
        raise SystemExit(5)

    asyncio.get_running_loop().create_task(bad())
    await asyncio.sleep(0.05)
    return "survived"


if __name__ == "__main__":
    raise SystemExit("the module ran as __main__")
