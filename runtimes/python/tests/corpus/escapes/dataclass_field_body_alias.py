# expect: dynamic-attribute
import dataclasses


@dataclasses.dataclass
class Base:
    x: int = dataclasses.field(default=0)
    handles = [x]


def run():
    Base.handles[0].name = "x or __import__('os').system('id') or self.x"

    @dataclasses.dataclass(init=False, repr=False)
    class Child(Base):
        pass

    return Child() == Child()
