# expect: banned-import
from operator import *


def run(obj):
    return methodcaller("__reduce_ex__", 2)(obj)
