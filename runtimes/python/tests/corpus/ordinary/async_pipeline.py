"""Async functions awaiting each other (no event loop module needed)."""


class Resource:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


class Ticker:
    def __init__(self, n):
        self.n = n

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n <= 0:
            raise StopAsyncIteration
        self.n -= 1
        return self.n


async def double(x: int) -> int:
    return x * 2


async def pipeline(values: list) -> dict:
    out = []
    async with Resource():
        async for tick in Ticker(2):
            out.append(tick)
    doubled = [await double(v) for v in values]
    return {"ticks": out, "doubled": doubled}
