"""Simulate a token-bucket rate limiter over a list of request timestamps."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Deque, Iterable, List


@dataclass
class TokenBucket:
    capacity: float
    refill_per_sec: float
    tokens: float = -1.0
    last: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def allow(self, now: float, cost: float = 1.0) -> bool:
        elapsed = max(0.0, now - self.last)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_sec)
        self.last = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class SlidingWindowCounter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: Deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._hits and self._hits[0] <= now - self.window:
            self._hits.popleft()
        if len(self._hits) < self.limit:
            self._hits.append(now)
            return True
        return False

    def __len__(self) -> int:
        return len(self._hits)


def simulate_rate_limit(timestamps: List[float], capacity: int = 5, per_second: float = 1.0) -> dict:
    times = sorted(timestamps)
    bucket = _run(TokenBucket(capacity, per_second), times)
    window = _run(SlidingWindowCounter(capacity, capacity / per_second), times)
    return {
        "token_bucket": {"allowed": sum(bucket), "rejected": len(bucket) - sum(bucket), "decisions": bucket},
        "sliding_window": {"allowed": sum(window), "rejected": len(window) - sum(window), "decisions": window},
        "disagreements": [t for t, a, b in zip(times, bucket, window) if a != b],
    }


def _run(limiter, times: Iterable[float]) -> List[bool]:
    return [limiter.allow(t) for t in times]


if __name__ == "__main__":
    print(simulate_rate_limit([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 3.0, 3.1, 10]))
