"""Noise-residual steganalysis: compare an image with its median-filtered version."""
import base64
import io
from typing import Dict

import numpy as np
from PIL import Image, ImageFilter, ImageOps


def residual_report(image_b64: str, block: int = 8) -> Dict[str, object]:
    img = ImageOps.exif_transpose(Image.open(io.BytesIO(base64.b64decode(image_b64)))).convert("L")
    res = residual(img)
    energy = block_energy(res, block)
    hist, _ = np.histogram(res, bins=np.arange(-8.5, 9.5, 1.0))
    kurt = float(((res - res.mean()) ** 4).mean() / (res.var() ** 2 + 1e-12))
    hot = np.argwhere(energy > energy.mean() + 3 * energy.std())
    return {
        "residual_mean_abs": round(float(np.abs(res).mean()), 4),
        "residual_kurtosis": round(kurt, 3),
        "histogram": hist.tolist(),
        "block_energy_max": round(float(energy.max()), 3) if energy.size else 0.0,
        "hot_blocks": hot.tolist()[:20],
    }


def residual(img: Image.Image, size: int = 3) -> np.ndarray:
    smooth = img.filter(ImageFilter.MedianFilter(size))
    return np.asarray(img, dtype=np.int16) - np.asarray(smooth, dtype=np.int16)


def block_energy(res: np.ndarray, block: int = 8) -> np.ndarray:
    h, w = (res.shape[0] // block) * block, (res.shape[1] // block) * block
    tiles = res[:h, :w].reshape(h // block, block, w // block, block)
    return (tiles.astype(np.float64) ** 2).mean(axis=(1, 3))


if __name__ == "__main__":
    rng = np.random.default_rng(3)
    arr = np.clip(rng.normal(128, 5, (64, 64)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, mode="L").save(buf, "PNG")
    print(residual_report(base64.b64encode(buf.getvalue()).decode()))
