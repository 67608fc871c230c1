"""Annotations everywhere, postponed evaluation."""
from __future__ import annotations

from typing import Callable, Literal, Optional, Sequence

Mode = Literal["train", "eval"]


def pipeline(values: Sequence[float], scale: float | None = None, mode: Mode = "eval",
             hook: Optional[Callable[[float], float]] = None, *, limit: int = 10,
             **options: dict[str, list[int]]) -> dict[str, list[float]]:
    """Scale values; the mode only changes the key."""
    factor = scale if scale is not None else 1.0
    out: list[float] = [v * factor for v in values[:limit]]
    if hook is not None:
        out = [hook(v) for v in out]
    return {mode: out}
