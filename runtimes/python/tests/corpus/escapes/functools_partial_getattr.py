# expect: dynamic-attribute
import functools


def run(obj, name):
    return functools.partial(getattr, obj)(name)
