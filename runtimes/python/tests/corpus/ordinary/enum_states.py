"""Enums with members, auto values and methods."""
import enum
from enum import Enum, Flag, IntEnum, StrEnum, auto


class Verdict(Enum):
    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    STEGO = "stego"

    def severity(self) -> int:
        return list(Verdict).index(self)


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Channel(StrEnum):
    RED = auto()
    GREEN = auto()


class Perm(Flag):
    READ = auto()
    WRITE = auto()


@enum.unique
class Mode(Enum):
    FAST = 1
    SLOW = 2


def classify(score: float) -> str:
    verdict = Verdict.STEGO if score > 0.8 else Verdict.SUSPICIOUS if score > 0.3 else Verdict.CLEAN
    both = Perm.READ | Perm.WRITE
    return f"{verdict.value}:{verdict.severity()}:{Level.HIGH.name}:{Channel.RED}:{bool(both & Perm.READ)}:{Mode(1).name}"
