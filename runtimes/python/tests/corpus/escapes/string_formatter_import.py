# expect: banned-import
from string import Formatter


def render(obj):
    return Formatter().format("{0.__class__}", obj)
