"""Convert between units exactly using Fraction, with dimension checking."""
from fractions import Fraction
from typing import Dict, Tuple


class UnitError(KeyError):
    """Unknown unit or incompatible dimensions."""


UNITS: Dict[str, Tuple[str, Fraction]] = {
    "m": ("length", Fraction(1)), "km": ("length", Fraction(1000)), "cm": ("length", Fraction(1, 100)),
    "in": ("length", Fraction(254, 10000)), "ft": ("length", Fraction(3048, 10000)), "mi": ("length", Fraction(1609344, 1000)),
    "g": ("mass", Fraction(1)), "kg": ("mass", Fraction(1000)), "lb": ("mass", Fraction(45359237, 100000)),
    "s": ("time", Fraction(1)), "min": ("time", Fraction(60)), "h": ("time", Fraction(3600)), "day": ("time", Fraction(86400)),
    "B": ("data", Fraction(1)), "KiB": ("data", Fraction(1024)), "MiB": ("data", Fraction(1024 ** 2)), "kB": ("data", Fraction(1000)),
    "sat": ("btc", Fraction(1)), "BTC": ("btc", Fraction(100_000_000)), "mBTC": ("btc", Fraction(100_000)),
}


def convert(value: str, from_unit: str, to_unit: str, places: int = 6) -> dict:
    dim_a, fa = lookup(from_unit)
    dim_b, fb = lookup(to_unit)
    if dim_a != dim_b:
        return {"ok": False, "error": "cannot convert %s (%s) to %s (%s)" % (from_unit, dim_a, to_unit, dim_b)}
    exact = Fraction(value) * fa / fb
    return {
        "ok": True,
        "exact": str(exact),
        "value": round(float(exact), places),
        "text": "{} {} = {:.{p}f} {}".format(value, from_unit, float(exact), to_unit, p=places),
        "dimension": dim_a,
    }


def lookup(unit: str) -> Tuple[str, Fraction]:
    try:
        return UNITS[unit]
    except KeyError:
        raise UnitError(f"unknown unit {unit!r}") from None


if __name__ == "__main__":
    for args in (("1", "mi", "km"), ("0.5", "BTC", "sat"), ("3", "kg", "h"), ("1.5", "MiB", "kB")):
        print(convert(*args))
