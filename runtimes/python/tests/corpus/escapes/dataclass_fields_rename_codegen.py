# expect: banned-attribute
import dataclasses


@dataclasses.dataclass
class Base:
    x: int = 0


def run():
    dataclasses.fields(Base)[0].name = "x or __import__('os').system('id') or self.x"

    @dataclasses.dataclass(init=False, repr=False)
    class Child(Base):
        pass

    return Child() == Child()
