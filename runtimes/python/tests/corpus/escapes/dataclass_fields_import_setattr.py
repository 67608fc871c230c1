# expect: banned-import
from dataclasses import dataclass, fields


@dataclass
class Base:
    x: int = 0


def run():
    f = fields(Base)[0]
    setattr(f, "name", "__array_interface__")
    return f
