"""Generic containers and protocols."""
from typing import Any, Callable, Dict, Generic, Iterable, Optional, Protocol, Tuple, TypeVar, Union, runtime_checkable

T = TypeVar("T")
K = TypeVar("K", bound=str)


@runtime_checkable
class Scorer(Protocol):
    def score(self, data: bytes) -> float: ...


class Registry(Generic[T]):
    def __init__(self) -> None:
        self._items: Dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        self._items[name] = item

    def get(self, name: str, default: Optional[T] = None) -> Optional[T]:
        return self._items.get(name, default)

    def __len__(self) -> int:
        return len(self._items)


class LengthScorer:
    def score(self, data: bytes) -> float:
        return float(len(data))


def apply_all(funcs: Iterable[Callable[[int], int]], value: int) -> Tuple[int, ...]:
    return tuple(f(value) for f in funcs)


def run_registry(names: list, payload: Union[str, bytes] = b"") -> Dict[str, Any]:
    reg: Registry[Scorer] = Registry()
    for n in names:
        reg.register(n, LengthScorer())
    data = payload.encode() if isinstance(payload, str) else payload
    scores = {n: reg.get(n).score(data) for n in names if isinstance(reg.get(n), Scorer)}
    return {"count": len(reg), "scores": scores, "applied": apply_all([abs, lambda v: v * 2], -3)}
