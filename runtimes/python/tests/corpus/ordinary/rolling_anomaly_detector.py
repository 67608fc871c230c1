"""Detect anomalies in a metric series with rolling z-scores and a NormalDist fit."""
import math
import statistics
from collections import deque
from itertools import islice
from typing import Deque, Iterable, Iterator, List, Tuple


def detect_anomalies(series: List[float], window: int = 10, threshold: float = 3.0) -> dict:
    if len(series) <= window:
        return {"anomalies": [], "reason": "series shorter than window"}
    anomalies = []
    for i, v, hist in rolling(series, window):
        z = zscore(v, hist)
        if abs(z) >= threshold:
            anomalies.append({"index": i, "value": v, "z": round(z, 2)})
    dist = statistics.NormalDist.from_samples(series)
    q1, q2, q3 = statistics.quantiles(series, n=4)
    iqr = q3 - q1
    return {
        "anomalies": anomalies,
        "mean": round(dist.mean, 4),
        "stdev": round(dist.stdev, 4),
        "median": q2,
        "iqr_outliers": [x for x in series if x < q1 - 1.5 * iqr or x > q3 + 1.5 * iqr],
        "p_above_max": round(1 - dist.cdf(max(series)), 6),
        "first_values": list(islice(series, 3)),
    }


def rolling(values: Iterable[float], window: int) -> Iterator[Tuple[int, float, List[float]]]:
    buf: Deque[float] = deque(maxlen=window)
    for i, v in enumerate(values):
        if len(buf) == window:
            yield i, v, list(buf)
        buf.append(v)


def zscore(v: float, history: List[float]) -> float:
    mu = statistics.fmean(history)
    sd = statistics.pstdev(history, mu)
    return 0.0 if math.isclose(sd, 0.0) else (v - mu) / sd


if __name__ == "__main__":
    data = [10 + math.sin(i / 3) for i in range(40)]
    data[25] = 30
    print(detect_anomalies(data))
