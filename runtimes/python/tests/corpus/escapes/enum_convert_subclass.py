# expect: banned-attribute
import enum


class Color(enum.IntEnum):
    RED = 1


def run():
    return Color._convert_("Leak", "os", lambda name: True)
