# expect: banned-attribute
from numpy.lib import stride_tricks
import numpy as np


def run():
    a = np.zeros(1, dtype=np.uint8)
    return stride_tricks.as_strided(a, shape=(1 << 30,), strides=(1,))
