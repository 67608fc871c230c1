# expect: dunder-assignment
import numpy as np


def run(addr):
    cls = np.finfo(np.float64)
    iface = {"data": (addr, False), "shape": (64,), "typestr": "|u1", "version": 3}
    return cls.dtype.type(1), np.core.getlimits.MachArLike(np.float64, eps=1, epsneg=1, huge=1, tiny=1, ibeta=2,
                                                          __array_interface__=iface)
