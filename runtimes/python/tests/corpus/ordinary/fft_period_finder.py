"""Find dominant periods in a sampled signal with numpy's real FFT."""
from typing import List

import numpy as np


def dominant_periods(samples: List[float], sample_rate: float = 1.0, top_k: int = 3) -> dict:
    """Return the strongest frequencies, their periods and the spectral flatness."""
    x = detrend(np.asarray(samples, dtype=np.float64))
    window = np.hanning(x.size)
    spectrum = np.abs(np.fft.rfft(x * window)) ** 2
    freqs = np.fft.rfftfreq(x.size, d=1.0 / sample_rate)
    spectrum[0] = 0.0
    order = np.argsort(spectrum)[::-1][:top_k]
    power = spectrum[1:] + 1e-12
    flatness = float(np.exp(np.mean(np.log(power))) / np.mean(power))
    return {
        "peaks": [
            {"frequency": round(float(freqs[i]), 5), "period": round(float(1 / freqs[i]), 3) if freqs[i] else None,
             "power_share": round(float(spectrum[i] / spectrum.sum()), 4)}
            for i in order
        ],
        "spectral_flatness": round(flatness, 5),
        "n": int(x.size),
    }


def detrend(x: np.ndarray) -> np.ndarray:
    t = np.arange(x.size)
    slope, intercept = np.polyfit(t, x, 1)
    return x - (slope * t + intercept)


if __name__ == "__main__":
    t = np.arange(256)
    sig = np.sin(2 * np.pi * t / 16) + 0.5 * np.sin(2 * np.pi * t / 5) + np.random.default_rng(1).normal(0, 0.1, t.size)
    print(dominant_periods(sig.tolist()))
