# expect: dynamic-attribute
import functools


@functools.singledispatch
def handle(x):
    return x


def donor(x: "int"):
    return x


def run(hook):
    @handle.register
    @functools.wraps(hook)
    def _(x):
        return x
    return handle(1)
