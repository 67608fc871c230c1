"""A registry of pluggable detectors, run over a byte payload."""
import math
from abc import ABC, abstractmethod
from collections import Counter
from typing import Callable, ClassVar, Dict, List, Protocol, Type, runtime_checkable


@runtime_checkable
class SupportsDescribe(Protocol):
    def describe(self) -> str: ...


class Detector(ABC):
    registry: ClassVar[Dict[str, Type["Detector"]]] = {}
    name: ClassVar[str] = "base"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        Detector.registry[cls.name] = cls

    @abstractmethod
    def score(self, data: bytes) -> float:
        """Return a suspicion score in [0, 1]."""

    def describe(self) -> str:
        return f"{type(self).__name__}({self.name})"


class EntropyDetector(Detector):
    name = "entropy"

    def score(self, data: bytes) -> float:
        if not data:
            return 0.0
        n = len(data)
        h = -sum(c / n * math.log2(c / n) for c in Counter(data).values())
        return h / 8.0


class NullRunDetector(Detector):
    name = "null_runs"

    def __init__(self, run: int = 16) -> None:
        self.run = run

    def score(self, data: bytes) -> float:
        return 1.0 if b"\x00" * self.run in data else 0.0


HOOKS: List[Callable[[str, float], None]] = []


def run_detectors(payload_hex: str, only: List[str] = None) -> dict:
    data = bytes.fromhex(payload_hex)
    seen: List[str] = []

    @on_result
    def _record(name: str, value: float) -> None:
        seen.append(f"{name}={value:.3f}")

    scores = {}
    for name, cls in sorted(Detector.registry.items()):
        if only and name not in only:
            continue
        det = cls()
        scores[name] = round(det.score(data), 4)
        for hook in HOOKS:
            hook(name, scores[name])
    HOOKS.remove(_record)
    return {
        "scores": scores,
        "describe": [cls().describe() for cls in Detector.registry.values() if isinstance(cls(), SupportsDescribe)],
        "log": seen,
        "max": max(scores.values(), default=0.0),
    }


def on_result(fn: Callable[[str, float], None]) -> Callable[[str, float], None]:
    HOOKS.append(fn)
    return fn


if __name__ == "__main__":
    print(run_detectors((bytes(range(256)) + b"\x00" * 20).hex()))
