# expect: dynamic-attribute
import functools
from typing import Dict as Annotated


@functools.singledispatch
def handle(x):
    return x


@handle.register
def _(x: Annotated[int, "__import__('os').system('id') or int"]):
    return x


def run():
    return handle(1)
