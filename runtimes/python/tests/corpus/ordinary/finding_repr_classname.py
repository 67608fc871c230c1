"""Findings with readable reprs: the usual self.__class__.__name__ idiom."""
from dataclasses import dataclass


class Finding:
    def __init__(self, kind: str, score: float):
        self.kind = kind
        self.score = score

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(kind={self.kind!r}, score={self.score:.2f})"


class StrongFinding(Finding):
    pass


@dataclass
class Summary:
    total: int
    strong: int


def describe_findings(scores: list) -> dict:
    items = [StrongFinding("lsb", s) if s >= 0.8 else Finding("lsb", s) for s in scores]
    try:
        ratio = sum(1 for i in items if isinstance(i, StrongFinding)) / len(items)
    except ZeroDivisionError as exc:
        return {"error": f"{exc.__class__.__qualname__}: no scores"}
    return {
        "items": [repr(i) for i in items],
        "kinds": sorted({type(i).__name__ for i in items}),
        "summary": repr(Summary(len(items), round(ratio * len(items)))),
        "module": Finding.__module__,
    }


if __name__ == "__main__":
    print(describe_findings([0.2, 0.9, 0.85]))
