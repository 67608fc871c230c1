"""Sample Pair Analysis (Dumitrescu et al.) estimate of the LSB embedding rate."""
import base64
import io
import math
from typing import Dict, Tuple

import numpy as np
from PIL import Image


def estimate_embedding_rate(image_b64: str) -> Dict[str, float]:
    img = Image.open(io.BytesIO(base64.b64decode(image_b64))).convert("RGB")
    arr = np.asarray(img)
    rates = {band: round(spa_rate(arr[:, :, i]), 4) for i, band in enumerate("RGB")}
    rates["max"] = max(rates.values())
    return rates


def _pair_counts(u: np.ndarray, v: np.ndarray) -> Tuple[int, int, int, int, int]:
    u = u.astype(np.int32)
    v = v.astype(np.int32)
    x = int(np.sum(((v % 2 == 0) & (u < v)) | ((v % 2 == 1) & (u > v))))
    y = int(np.sum(((v % 2 == 0) & (u > v)) | ((v % 2 == 1) & (u < v))))
    z = int(np.sum(u == v))
    w = int(np.sum((u // 2 == v // 2) & (u != v)))
    return x, y, z, w, u.size


def spa_rate(channel: np.ndarray) -> float:
    u, v = channel[:, :-1].ravel(), channel[:, 1:].ravel()
    x, y, z, w, p = _pair_counts(u, v)
    a = (w + z) / 2.0
    b = 2 * x - p
    c = y - x
    if a == 0:
        return 0.0
    disc = b * b - 4 * a * c
    if disc < 0:
        return 0.0
    roots = [(-b + s * math.sqrt(disc)) / (2 * a) for s in (1, -1)]
    q = min(roots, key=abs)
    return float(min(1.0, max(0.0, q)))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (64, 1))
    cover = np.stack([base, base.T, base[::-1]], axis=2)
    stego = cover ^ rng.integers(0, 2, cover.shape, dtype=np.uint8)
    for arr in (cover, stego):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "PNG")
        print(estimate_embedding_rate(base64.b64encode(buf.getvalue()).decode()))
