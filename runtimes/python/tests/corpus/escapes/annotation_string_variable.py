# expect: dynamic-attribute
import functools

PAYLOAD = "__import__('os').system('id') or int"


@functools.singledispatch
def handle(x):
    return x


@handle.register
def _(x: PAYLOAD):
    return x


def run():
    return handle(1)
