"""Score agent proposals against weighted criteria and pick an action."""
from dataclasses import asdict, dataclass, field
from enum import IntEnum, auto
from typing import Dict, List, Literal, Optional, TypedDict

Decision = Literal["approve", "review", "reject"]


class Risk(IntEnum):
    LOW = auto()
    MEDIUM = auto()
    HIGH = auto()


class Evaluation(TypedDict):
    id: str
    score: float
    risk: str
    decision: Decision
    reasons: List[str]


@dataclass(order=True)
class Proposal:
    priority: float
    id: str = field(compare=False)
    budget_sats: int = field(compare=False, default=0)
    tags: List[str] = field(compare=False, default_factory=list)
    description: str = field(compare=False, default="")


WEIGHTS: Dict[str, float] = {"security": 3.0, "detection": 2.0, "performance": 1.5, "docs": 0.5}


def evaluate_proposals(proposals: List[dict], max_budget: int = 500_000) -> dict:
    parsed = sorted((Proposal(**p) for p in proposals), reverse=True)
    results = [evaluate(p, max_budget) for p in parsed]
    counts: Dict[str, int] = {}
    for r in results:
        counts[r["decision"]] = counts.get(r["decision"], 0) + 1
    return {"results": results, "counts": counts, "top": asdict(parsed[0]) if parsed else None}


def _risk(p: Proposal) -> Risk:
    if p.budget_sats > 1_000_000 or "network" in p.tags:
        return Risk.HIGH
    if p.budget_sats > 100_000:
        return Risk.MEDIUM
    return Risk.LOW


def evaluate(p: Proposal, max_budget: Optional[int] = None) -> Evaluation:
    reasons: List[str] = []
    score = p.priority + sum(WEIGHTS.get(t, 0.0) for t in p.tags)
    if len(p.description) < 20:
        score -= 1.0
        reasons.append("description too short")
    risk = _risk(p)
    if max_budget is not None and p.budget_sats > max_budget:
        reasons.append(f"budget {p.budget_sats:,} exceeds cap {max_budget:,}")
        decision: Decision = "reject"
    elif risk >= Risk.HIGH or score < 2:
        decision = "review"
    else:
        decision = "approve"
    return {"id": p.id, "score": round(score, 2), "risk": risk.name.lower(), "decision": decision, "reasons": reasons}


if __name__ == "__main__":
    demo = [
        {"priority": 2.0, "id": "p1", "budget_sats": 50_000, "tags": ["detection"], "description": "Improve chi-square scanner"},
        {"priority": 1.0, "id": "p2", "budget_sats": 2_000_000, "tags": ["network"]},
    ]
    print(evaluate_proposals(demo))
