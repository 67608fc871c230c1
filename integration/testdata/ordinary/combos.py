import functools
import itertools
import operator


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def pairs(items: list, r: int = 2):
    """Combinations, running products and Fibonacci numbers."""
    combos = [list(c) for c in itertools.combinations(items, r)]
    product = functools.reduce(operator.mul, items, 1)
    running = list(itertools.accumulate(items))
    parity = lambda x: x % 2 == 0  # noqa: E731
    grouped = {k: len(list(g)) for k, g in itertools.groupby(sorted(items, key=parity), key=parity)}
    return {
        "combinations": combos,
        "count": len(combos),
        "product": product,
        "running": running,
        "even_odd": {"even": grouped.get(True, 0), "odd": grouped.get(False, 0)},
        "fib": [fib(i) for i in range(len(items) + 5)],
        "chained": list(itertools.chain(items, [0])),
    }
