"""Seeded sampling, heaps, bisect and copies."""
import bisect
import copy
import heapq
import random


def sample_top(values: list, k: int = 3, seed: int = 42) -> dict:
    rng = random.Random(seed)
    sample = rng.sample(values, min(k, len(values)))
    top = heapq.nlargest(k, values)
    ordered = sorted(values)
    pos = bisect.bisect_left(ordered, 10)
    nested = {"values": values, "meta": {"k": k}}
    clone = copy.deepcopy(nested)
    clone["meta"]["k"] = -1
    shallow = copy.copy(values)
    rng.shuffle(shallow)
    return {"sample": sample, "top": top, "pos": pos, "original_k": nested["meta"]["k"], "n": len(shallow),
            "choice": rng.choice(values) if values else None, "gauss": round(rng.gauss(0, 1), 6)}
