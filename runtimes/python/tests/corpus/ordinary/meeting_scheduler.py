"""Interval scheduling: merge busy slots, find free windows, assign rooms with a heap."""
import bisect
import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import List, Tuple

FMT = "%Y-%m-%dT%H:%M"


@dataclass(order=True, frozen=True)
class Slot:
    start: datetime
    end: datetime
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"slot {self.label!r} ends before it starts")

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) / timedelta(minutes=1))


def plan_day(busy: List[List[str]], day_start: str, day_end: str, min_minutes: int = 30) -> dict:
    slots = parse_slots(busy)
    merged = merge(slots)
    lo, hi = datetime.strptime(day_start, FMT), datetime.strptime(day_end, FMT)
    free, cursor = [], lo
    for s, e in merged:
        if s - cursor >= timedelta(minutes=min_minutes):
            free.append([cursor.strftime(FMT), s.strftime(FMT)])
        cursor = max(cursor, e)
    if hi - cursor >= timedelta(minutes=min_minutes):
        free.append([cursor.strftime(FMT), hi.strftime(FMT)])
    starts = [s.start for s in slots]
    noon = lo.replace(hour=12, minute=0)
    return {
        "merged_busy": [[s.strftime(FMT), e.strftime(FMT)] for s, e in merged],
        "free": free,
        "rooms_needed": rooms_needed(slots),
        "meetings_before_noon": bisect.bisect_left(starts, noon),
        "total_busy_minutes": sum(s.minutes for s in slots),
    }


def parse_slots(raw: List[List[str]]) -> List[Slot]:
    return sorted(Slot(datetime.strptime(s, FMT), datetime.strptime(e, FMT), *rest) for s, e, *rest in raw)


def merge(slots: List[Slot]) -> List[Tuple[datetime, datetime]]:
    merged: List[Tuple[datetime, datetime]] = []
    for s in slots:
        if merged and s.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], s.end))
        else:
            merged.append((s.start, s.end))
    return merged


def rooms_needed(slots: List[Slot]) -> int:
    ends: List[datetime] = []
    for s in slots:
        if ends and ends[0] <= s.start:
            heapq.heapreplace(ends, s.end)
        else:
            heapq.heappush(ends, s.end)
    return len(ends)


if __name__ == "__main__":
    print(plan_day([["2024-05-01T09:00", "2024-05-01T10:00", "standup"], ["2024-05-01T09:30", "2024-05-01T11:00"],
                    ["2024-05-01T13:00", "2024-05-01T14:00"]], "2024-05-01T08:00", "2024-05-01T18:00"))
