# expect: banned-attribute
import typing


def run():
    ref = typing.get_args(typing.List["os"])[0]
    return ref._evaluate({}, {}, frozenset())
