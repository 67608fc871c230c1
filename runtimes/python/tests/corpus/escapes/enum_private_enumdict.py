# expect: private-attribute
import enum


def run():
    ns = enum._EnumDict()
    ns["__array_interface__"] = {}
    return ns
