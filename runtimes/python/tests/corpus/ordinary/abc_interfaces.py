"""Abstract base classes."""
from abc import ABC, ABCMeta, abstractmethod


class Detector(ABC):
    @abstractmethod
    def detect(self, data: bytes) -> float:
        raise NotImplementedError


class Plugin(metaclass=ABCMeta):
    @abstractmethod
    def name(self) -> str: ...


class ZeroDetector(Detector):
    def detect(self, data: bytes) -> float:
        return data.count(0) / max(len(data), 1)


def run_detector(data_hex: str) -> float:
    d = ZeroDetector()
    assert isinstance(d, Detector)
    return d.detect(bytes.fromhex(data_hex))
