"""Spectral features with numpy.fft and numpy.linalg."""
import numpy as np
from numpy import linalg as la
from numpy.fft import fft2, fftshift


def spectral_features(pixels: list, seed: int = 0) -> dict:
    img = np.asarray(pixels, dtype=np.float64)
    spectrum = np.abs(fftshift(fft2(img)))
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, img.shape)
    u, s, vt = la.svd(img + noise * 1e-6, full_matrices=False)
    cov = np.cov(img.reshape(img.shape[0], -1))
    return {
        "energy": float(spectrum.sum()),
        "rank": int(np.sum(s > 1e-9)),
        "cond": float(np.linalg.cond(img + np.eye(*img.shape))) if img.shape[0] == img.shape[1] else None,
        "cov_trace": float(np.trace(np.atleast_2d(cov))),
        "dtype": str(img.dtype),
        "numpy": np.__version__,
    }
