# expect: dynamic-attribute
import functools


@functools.singledispatch
def handle(x):
    return x


def run(funcs):
    reg = handle.register
    for f in funcs:
        reg(f)
    return handle(1)
