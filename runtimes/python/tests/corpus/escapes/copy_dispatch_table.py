# expect: banned-attribute
import copy
import numpy as np


class Box:
    pass


def reducer(obj):
    return (Box, (), ({}, {"__array_interface__": {"data": (0, False), "shape": (8,), "typestr": "|u1", "version": 3}}))


def run():
    copy.dispatch_table[Box] = reducer
    return np.asarray(copy.copy(Box()))
