# expect: private-attribute
import numpy as np


def run(arr):
    return np.core._internal._ctypes
