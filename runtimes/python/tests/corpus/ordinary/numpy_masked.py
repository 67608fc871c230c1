"""Masked arrays for saturated pixels."""
import numpy as np
import numpy.ma as ma


def unsaturated_mean(pixels: list) -> float:
    arr = np.asarray(pixels, dtype=np.float64)
    masked = ma.masked_where((arr <= 0) | (arr >= 255), arr)
    return float(masked.mean()) if masked.count() else 0.0
