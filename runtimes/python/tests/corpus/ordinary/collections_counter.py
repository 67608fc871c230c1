"""Collections: counters, defaultdicts, deques and named tuples."""
from collections import ChainMap, Counter, OrderedDict, defaultdict, deque, namedtuple
from collections.abc import Mapping

Pixel = namedtuple("Pixel", ["x", "y", "value"])


def byte_profile(data: bytes, window: int = 4) -> dict:
    counts = Counter(data)
    by_parity = defaultdict(list)
    for b in data:
        by_parity[b & 1].append(b)
    recent = deque(maxlen=window)
    peaks = []
    for b in data:
        recent.append(b)
        if len(recent) == window and b == max(recent):
            peaks.append(b)
    ordered = OrderedDict(sorted(counts.items()))
    merged = ChainMap({"window": window}, {"length": len(data)})
    p = Pixel(1, 2, 3)._replace(value=9)
    return {
        "top": counts.most_common(3),
        "even": len(by_parity[0]),
        "peaks": peaks[:5],
        "first": next(iter(ordered), None),
        "merged": dict(merged),
        "is_mapping": isinstance(merged, Mapping),
        "pixel": p._asdict(),
    }
