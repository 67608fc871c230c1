# expect: dynamic-class
import enum
import numpy as np


def run():
    E = enum.Enum.__call__("E", {"__array_interface__": {"data": (0, False), "shape": (8,), "typestr": "|u1"}, "A": 1})
    return np.asarray(E.A)
