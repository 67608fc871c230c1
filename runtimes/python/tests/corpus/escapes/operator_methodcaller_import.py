# expect: banned-import
from operator import methodcaller


def call(obj):
    return methodcaller("__reduce_ex__", 2)(obj)
