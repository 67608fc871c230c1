# expect: dynamic-class
from abc import ABCMeta


def run():
    return ABCMeta("X", (), {"__match_args__": ("__globals__",)})
