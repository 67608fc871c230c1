# expect: dynamic-attribute
import functools

P = "__import__('os').system('id') or int"


@functools.singledispatch
def handle(x):
    return x


class Hook:
    x: P

    def __call__(self, x):
        return x


def run():
    handle.register(Hook())
    return handle(1)
