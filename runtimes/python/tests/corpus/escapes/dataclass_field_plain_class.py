# expect: dynamic-attribute
import dataclasses


class Holder:
    x: int = dataclasses.field(default=0)


def run():
    @dataclasses.dataclass
    class Base(Holder):
        x: int
    Holder.x.name = "x or __import__('os').system('id') or self.x"

    @dataclasses.dataclass(init=False, repr=False)
    class Child(Base):
        pass

    return Child() == Child()
