import abc
import copy
import heapq
import textwrap
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction


class Stage(abc.ABC):
    @abc.abstractmethod
    def run(self, data):
        raise NotImplementedError


class Scale(Stage):
    def __init__(self, factor):
        self.factor = factor

    def run(self, data):
        return [x * self.factor for x in data]


class TopK(Stage):
    def __init__(self, k):
        self.k = k

    def run(self, data):
        return heapq.nlargest(self.k, data)


def run_pipeline(data: list, factor: int = 2, k: int = 2, start: str = "2024-01-28"):
    """Inheritance, abc, heapq, copy, datetime, decimal and fractions together."""
    stages = [Scale(factor), TopK(k)]
    out = copy.deepcopy(data)
    for stage in stages:
        out = stage.run(out)
    day = date.fromisoformat(start) + timedelta(days=len(data))
    return {
        "result": out,
        "stages": [type(s).__name__ for s in stages],
        "due": day.isoformat(),
        "price": str(Decimal("19.99") * len(data)),
        "ratio": str(Fraction(len(out), len(data))),
        "note": textwrap.shorten("a pipeline of several small stages", width=20, placeholder="..."),
    }
