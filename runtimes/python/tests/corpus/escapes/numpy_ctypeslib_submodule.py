# expect: banned-import
import numpy.ctypeslib


def ptr(arr):
    return numpy.ctypeslib.as_ctypes(arr)
