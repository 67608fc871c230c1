# expect: banned-import
from builtins import eval as e


def calc(expr):
    return e(expr)
