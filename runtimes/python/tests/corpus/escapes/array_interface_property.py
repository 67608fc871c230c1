# expect: dunder-definition
import numpy as np


class Raw:
    @property
    def __array_interface__(self):
        return {"data": (0, False), "shape": (64,), "typestr": "|u1", "version": 3}


def run():
    return np.asarray(Raw())
