"""Classes with __slots__ and explicit __match_args__."""


class Vec:
    __slots__ = ("x", "y", "__weakref__")
    __match_args__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __abs__(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5

    def __mul__(self, k):
        return Vec(self.x * k, self.y * k)

    __rmul__ = __mul__


def vec_kind(x: float, y: float) -> str:
    match Vec(x, y) * 2:
        case Vec(0, 0):
            return "zero"
        case Vec(a, 0):
            return f"horizontal {a}"
        case v:
            return f"norm {abs(v):.3f}"
