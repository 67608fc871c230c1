# expect: banned-attribute
import typing


def run():
    t = typing.get_origin(typing.Type[int])
    return t("X", (), {})
