"""functools.singledispatch with annotation-based registration."""
from functools import singledispatch


@singledispatch
def to_feature(value) -> float:
    raise TypeError("unsupported")


@to_feature.register
def _(value: int) -> float:
    return float(value)


@to_feature.register
def _(value: str) -> float:
    return float(len(value))


@to_feature.register(list)
def _(value) -> float:
    return float(sum(to_feature(v) for v in value))


def features(values: list) -> list:
    return [to_feature(v) for v in values]
