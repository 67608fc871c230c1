from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional


@dataclass
class Item:
    name: str
    quantity: int
    price: float = 0.0
    tags: List[str] = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.quantity * self.price


@dataclass(frozen=True)
class Summary:
    count: int
    total_value: float
    by_tag: Dict[str, int]
    most_valuable: Optional[str] = None


def summarize(items: List[Item], min_quantity: int = 0) -> Summary:
    """Summarizes an inventory posted as a list of items."""
    kept = [it for it in items if it.quantity >= min_quantity]
    by_tag = {}
    for it in kept:
        for tag in it.tags:
            by_tag[tag] = by_tag.get(tag, 0) + it.quantity
    best = max(kept, key=lambda it: it.value).name if kept else None
    return Summary(len(kept), round(sum(it.value for it in kept), 2), dict(sorted(by_tag.items())), best)


def first_item(items: List[Item]):
    return asdict(items[0])
