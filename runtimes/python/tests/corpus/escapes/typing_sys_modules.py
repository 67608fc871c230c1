# expect: banned-attribute
import typing


def run():
    return typing.sys.modules["os"]
