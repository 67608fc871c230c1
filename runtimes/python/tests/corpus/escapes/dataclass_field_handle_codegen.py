# expect: dynamic-attribute
import dataclasses

handle = dataclasses.field(default=0)


@dataclasses.dataclass
class Base:
    x: int = handle


def run():
    handle.name = "x or __import__('os').system('id') or self.x"

    @dataclasses.dataclass(init=False, repr=False)
    class Child(Base):
        pass

    return Child() == Child()
