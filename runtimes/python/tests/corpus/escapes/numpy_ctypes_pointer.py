# expect: banned-attribute
import numpy as np


def run(arr):
    return arr.ctypes.data
