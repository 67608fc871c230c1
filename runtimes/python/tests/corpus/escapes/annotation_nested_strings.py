# expect: too-complex
import functools


@functools.singledispatch
def handle(x):
    return x


@handle.register
def _(x: '\'\\\'"__import__(\\\\\\\'os\\\\\\\').system(\\\\\\\'id\\\\\\\') or int"\\\'\''):
    return x


def run():
    return handle(1)
