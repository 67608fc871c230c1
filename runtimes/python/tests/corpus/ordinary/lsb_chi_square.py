"""Chi-square steganalysis of LSB embedding on numpy pixel arrays."""
from typing import Dict, List, Optional

import numpy as np


def _pair_histogram(channel: np.ndarray) -> np.ndarray:
    hist = np.bincount(channel.ravel().astype(np.int64), minlength=256).astype(np.float64)
    return hist


def enhanced_scan(pixels: List[List[int]], threshold: float = 0.05, channel: Optional[int] = None) -> Dict[str, float]:
    """Return the chi-square statistic and an embedding probability."""
    arr = np.asarray(pixels, dtype=np.uint8)
    if channel is not None and arr.ndim == 3:
        arr = arr[..., channel]
    hist = _pair_histogram(arr)
    even, odd = hist[0::2], hist[1::2]
    expected = (even + odd) / 2.0
    mask = expected > 0
    chi = float(np.sum((even[mask] - expected[mask]) ** 2 / expected[mask]))
    dof = max(int(mask.sum()) - 1, 1)
    probability = float(np.exp(-chi / (2 * dof)))
    return {"chi_square": chi, "dof": dof, "probability": probability, "suspicious": probability > threshold}
