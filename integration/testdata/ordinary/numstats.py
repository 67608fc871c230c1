import statistics
from typing import List, Optional, Union


def describe(values: List[float], precision: Optional[int] = 3, label: Union[str, None] = None):
    """Descriptive statistics of a list of numbers."""
    if not values:
        raise ValueError("no values")
    p = 3 if precision is None else precision
    out = {
        "n": len(values),
        "mean": round(statistics.mean(values), p),
        "median": statistics.median(values),
        "mode": statistics.mode(values),
        "stdev": round(statistics.stdev(values), p) if len(values) > 1 else 0.0,
        "quartiles": [round(q, p) for q in statistics.quantiles(values, n=4)],
    }
    if label is not None:
        out["label"] = label
    return out
