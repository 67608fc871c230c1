"""itertools and functools, including a decorator with functools.wraps."""
import functools
import itertools
import operator
from functools import lru_cache, partial, reduce


def traced(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        wrapper.calls += 1
        return result
    wrapper.calls = 0
    return wrapper


@lru_cache(maxsize=128)
def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@traced
def window_sums(values, size=3):
    it = iter(values)
    win = list(itertools.islice(it, size))
    sums = [sum(win)] if len(win) == size else []
    for v in it:
        win = win[1:] + [v]
        sums.append(sum(win))
    return sums


def combinatorics(values: list) -> dict:
    pairs = list(itertools.combinations(values, 2))
    product = reduce(operator.mul, values, 1)
    add5 = partial(operator.add, 5)
    grouped = {k: len(list(g)) for k, g in itertools.groupby(sorted(values))}
    return {
        "pairs": len(pairs),
        "product": product,
        "plus5": list(map(add5, values)),
        "fib": fib(20),
        "sums": window_sums(values),
        "calls": window_sums.calls,
        "grouped": grouped,
        "acc": list(itertools.accumulate(values)),
        "by_key": sorted(values, key=operator.neg),
        "item": operator.itemgetter(0)(values) if values else None,
    }
