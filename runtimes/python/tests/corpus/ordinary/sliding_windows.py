"""Local variance maps with sliding_window_view."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def local_variance(pixels: list, k: int = 3) -> list:
    img = np.asarray(pixels, dtype=np.float32)
    windows = sliding_window_view(img, (k, k))
    var = windows.var(axis=(-1, -2))
    return np.round(var, 3).tolist()
