"""Pairs-of-values histogram features for each colour channel.

LSB replacement equalises the counts of values 2k and 2k+1; this computes how
close each channel is to that state, plus ImageStat summaries.
"""
import base64
import io
from typing import Dict, List

from PIL import Image, ImageStat


def channel_features(image_b64: str) -> Dict[str, dict]:
    img = Image.open(io.BytesIO(base64.b64decode(image_b64))).convert("RGB")
    stat = ImageStat.Stat(img)
    full = img.histogram()
    result: Dict[str, dict] = {}
    for i, band in enumerate(img.getbands()):
        hist = full[i * 256:(i + 1) * 256]
        result[band] = {
            "mean": round(stat.mean[i], 3),
            "stddev": round(stat.stddev[i], 3),
            "extrema": list(stat.extrema[i]),
            "pov_balance": round(pov_balance(hist), 4),
            "zero_bins": hist.count(0),
        }
    verdict = min(v["pov_balance"] for v in result.values())
    return {"channels": result, "likely_lsb": verdict < 0.05}


def pov_balance(hist: List[int]) -> float:
    """Mean relative difference between the counts of 2k and 2k+1 (0 = perfectly even)."""
    diffs = []
    for k in range(0, 256, 2):
        a, b = hist[k], hist[k + 1]
        if a + b:
            diffs.append(abs(a - b) / (a + b))
    return sum(diffs) / len(diffs) if diffs else 0.0


if __name__ == "__main__":
    buf = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(buf, "PNG")
    print(channel_features(base64.b64encode(buf.getvalue()).decode()))
