# expect: dynamic-attribute
import functools

NAME = "os"


@functools.singledispatch
def handle(x):
    return x


@handle.register
def _(x: f"__import__('{NAME}').system('id') or int"):
    return x


def run():
    return handle(1)
