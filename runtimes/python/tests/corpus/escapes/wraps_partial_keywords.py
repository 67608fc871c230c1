# expect: dynamic-attribute
import functools
import random


def run(wrapper):
    deco = functools.wraps(random.shuffle)
    deco.keywords["updated"] = ("__globals__",)
    return deco(wrapper)
