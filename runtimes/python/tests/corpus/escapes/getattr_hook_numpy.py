# expect: dunder-definition
import numpy as np


class Raw:
    def __getattr__(self, name):
        return {"data": (0, False), "shape": (64,), "typestr": "|u1", "version": 3}


def run():
    return np.asarray(Raw())
