# expect: dynamic-attribute
import functools

PAYLOAD = "__import__('os').system('id') or int"


@functools.singledispatch
def handle(x):
    return x


def impl(x: PAYLOAD):
    return x


def run():
    handle.register(impl)
    return handle(1)
