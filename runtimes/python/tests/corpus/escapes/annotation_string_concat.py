# expect: dynamic-attribute
import functools


@functools.singledispatch
def handle(x):
    return x


@handle.register
def _(x: "ev" + "al('1') or int"):
    return x


def run():
    return handle(1)
