"""A value class with the usual special methods."""
from functools import total_ordering


class Base:
    def __init__(self, name):
        self.name = name

    def describe(self):
        return f"{type(self).__name__}:{self.name}"


@total_ordering
class Signal(Base):
    def __init__(self, name, samples):
        super().__init__(name)
        self._samples = list(samples)

    def __repr__(self):
        return f"Signal({self.name!r}, {self._samples!r})"

    def __str__(self):
        return self.describe()

    def __eq__(self, other):
        if not isinstance(other, Signal):
            return NotImplemented
        return self._samples == other._samples

    def __lt__(self, other):
        return sum(self._samples) < sum(other._samples)

    def __hash__(self):
        return hash((self.name, tuple(self._samples)))

    def __len__(self):
        return len(self._samples)

    def __iter__(self):
        return iter(self._samples)

    def __getitem__(self, index):
        return self._samples[index]

    def __contains__(self, value):
        return value in self._samples

    def __add__(self, other):
        return type(self)(self.name, self._samples + list(other))

    @classmethod
    def zeros(cls, n):
        return cls("zeros", [0] * n)

    @staticmethod
    def energy(values):
        return sum(v * v for v in values)

    @property
    def peak(self):
        return max(self._samples, default=0)


def analyse_signal(samples: list) -> dict:
    s = Signal("input", samples)
    z = Signal.zeros(len(samples))
    return {"repr": repr(s), "str": str(s), "len": len(s), "peak": s.peak, "bigger": s > z,
            "energy": Signal.energy(s), "has_zero": 0 in s, "doc": Signal.__doc__, "name": Signal.__name__,
            "combined": len(s + z), "first": s[0] if len(s) else None}
