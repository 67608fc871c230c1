"""Expand simple recurrence rules (daily / weekly / monthly-by-weekday) into dates."""
import calendar
from datetime import date, timedelta
from itertools import count, islice, takewhile
from typing import Iterator, List, Optional

WEEKDAYS = {name.lower()[:3]: i for i, name in enumerate(calendar.day_name)}


def expand_rule(rule: str, start: str, until: str = "", limit: int = 10) -> dict:
    """rule examples: 'daily:2', 'weekly:mon,thu', 'monthly:fri:-1' (last Friday)."""
    first = date.fromisoformat(start)
    kind, *params = rule.split(":")
    if kind == "daily":
        gen = daily(first, int(params[0]) if params else 1)
    elif kind == "weekly":
        gen = weekly(first, [WEEKDAYS[p[:3].lower()] for p in params[0].split(",")])
    elif kind == "monthly":
        gen = monthly(first, WEEKDAYS[params[0][:3].lower()], int(params[1]))
    else:
        raise ValueError(f"unknown rule kind {kind!r}")
    if until:
        end = date.fromisoformat(until)
        gen = takewhile(lambda d: d <= end, gen)
    dates = list(islice(gen, limit))
    return {"dates": [d.isoformat() for d in dates], "weekdays": [calendar.day_abbr[d.weekday()] for d in dates]}


def nth_weekday(year: int, month: int, weekday: int, n: int) -> Optional[date]:
    """n-th (1-based, -1 for last) weekday of a month."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    try:
        return days[n - 1] if n > 0 else days[n]
    except IndexError:
        return None


def daily(start: date, every: int) -> Iterator[date]:
    return (start + timedelta(days=every * i) for i in count())


def weekly(start: date, days: List[int]) -> Iterator[date]:
    monday = start - timedelta(days=start.weekday())
    for week in count():
        for wd in sorted(days):
            d = monday + timedelta(weeks=week, days=wd)
            if d >= start:
                yield d


def monthly(start: date, weekday: int, n: int) -> Iterator[date]:
    y, m = start.year, start.month
    while True:
        d = nth_weekday(y, m, weekday, n)
        if d and d >= start:
            yield d
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


if __name__ == "__main__":
    print(expand_rule("monthly:fri:-1", "2024-01-01", limit=4))
    print(expand_rule("weekly:mon,thu", "2024-02-28", until="2024-03-10"))
