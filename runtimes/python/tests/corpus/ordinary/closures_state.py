"""Closures, nonlocal and module state."""
_calls = 0


def make_counter(start: int = 0):
    count = start

    def step(by: int = 1) -> int:
        nonlocal count
        count += by
        return count
    return step


def counted(values: list) -> dict:
    global _calls
    _calls += 1
    counter = make_counter()
    for v in values:
        counter(v)
    return {"total": counter(0), "calls": _calls, "sorted": sorted(values, key=lambda v: (-v, v))}
