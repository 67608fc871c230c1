"""Score items in batches with async functions (no event-loop specifics needed)."""
from dataclasses import dataclass
from typing import AsyncIterator, Dict, List


@dataclass
class Item:
    key: str
    values: List[float]


class BatchTimer:
    """Async context manager collecting per-batch stats."""

    def __init__(self) -> None:
        self.batches: List[int] = []
        self.open = False

    async def __aenter__(self) -> "BatchTimer":
        self.open = True
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        self.open = False
        return False


async def score_batches(records: Dict[str, List[float]], batch_size: int = 2) -> dict:
    items = [Item(k, v) for k, v in sorted(records.items())]
    scores: Dict[str, float] = {}
    async with BatchTimer() as timer:
        async for batch in batched(items, batch_size):
            timer.batches.append(len(batch))
            for item in batch:
                scores[item.key] = await score_item(item)
    ranked = sorted(scores, key=lambda k: scores[k], reverse=True)
    return {"scores": scores, "ranking": ranked, "batches": timer.batches, "closed": not timer.open}


async def batched(items: List[Item], size: int) -> AsyncIterator[List[Item]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


async def score_item(item: Item) -> float:
    if not item.values:
        return 0.0
    mean = sum(item.values) / len(item.values)
    return round(max(item.values) - mean, 4)


if __name__ == "__main__":
    coro = score_batches({"a": [1, 2, 9], "b": [3, 3, 3], "c": [0, 10]})
    try:
        coro.send(None)
    except StopIteration as done:
        print(done.value)
