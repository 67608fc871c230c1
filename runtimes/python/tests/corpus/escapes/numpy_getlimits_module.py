# expect: banned-attribute
import numpy as np


def run(kw):
    return np.core.getlimits.MachArLike(np.float64, **kw)
