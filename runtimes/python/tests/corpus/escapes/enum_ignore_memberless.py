# expect: dynamic-class
import enum
import numpy as np


class Hollow(enum.Enum):
    _ignore_ = ["A"]
    A = 1


def run():
    E = Hollow("E", {"__array_interface__": {"data": (0, False), "shape": (8,), "typestr": "|u1"}, "B": 1})
    return np.asarray(E.B)
