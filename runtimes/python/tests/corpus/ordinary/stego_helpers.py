"""Sandbox helper module used by other modules."""
import numpy as np

__all__ = ["bit_plane", "entropy"]
__version__ = "1.0"


def bit_plane(pixels, bit: int = 0):
    arr = np.asarray(pixels, dtype=np.uint8)
    return (arr >> bit) & 1


def entropy(values) -> float:
    arr = np.asarray(values).ravel()
    if arr.size == 0:
        return 0.0
    _, counts = np.unique(arr, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())
