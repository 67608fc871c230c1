"""Dataclass-based reports."""
from dataclasses import asdict, dataclass, field, replace
from typing import List


@dataclass(frozen=True)
class Finding:
    kind: str
    score: float
    tags: List[str] = field(default_factory=list)

    def __post_init__(self):
        if self.score < 0:
            object.__setattr__(self, "score", 0.0)


@dataclass(order=True)
class Report:
    name: str
    findings: List[Finding] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max((f.score for f in self.findings), default=0.0)


def build_report(name: str, scores: List[float]) -> dict:
    report = Report(name, [Finding("lsb", s, ["auto"]) for s in scores])
    adjusted = replace(report, name=name.upper())
    return {"report": asdict(adjusted), "worst": adjusted.worst}
