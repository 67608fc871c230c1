"""Statistics, decimals and fractions."""
import statistics
from decimal import ROUND_HALF_UP, Decimal, getcontext
from fractions import Fraction


def summarize(values: list, places: int = 3) -> dict:
    getcontext().prec = 28
    q = Decimal(1).scaleb(-places)
    mean = statistics.fmean(values) if values else 0.0
    return {
        "mean": str(Decimal(str(mean)).quantize(q, rounding=ROUND_HALF_UP)),
        "median": statistics.median(values) if values else None,
        "stdev": statistics.pstdev(values) if len(values) > 1 else 0.0,
        "ratio": str(Fraction(len(values), 7).limit_denominator(100)),
        "normal": statistics.NormalDist(0, 1).cdf(1.0),
    }
