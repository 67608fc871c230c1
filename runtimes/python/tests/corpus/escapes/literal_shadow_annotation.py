# expect: dynamic-attribute
import functools

Literal = list


@functools.singledispatch
def handle(x):
    return x


@handle.register
def _(x: Literal["__import__('os').system('id') or int"]):
    return x


def run():
    return handle(1)
