async def double(x):
    return 2 * x


async def gather_scores(values: list, bonus: int = 0):
    """An async function, as agents write for I/O-shaped work."""
    total = 0
    doubled = []
    for v in values:
        d = await double(v)
        doubled.append(d)
        total += d
    return {"doubled": doubled, "total": total + bonus}
