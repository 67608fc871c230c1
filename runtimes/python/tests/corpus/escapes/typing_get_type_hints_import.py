# expect: banned-import
from typing import get_type_hints


def f(x: "__import__('os').system('id')"):
    return x


def run():
    return get_type_hints(f)
