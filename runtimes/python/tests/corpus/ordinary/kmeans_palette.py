"""Extract a dominant-colour palette from an image with a small numpy k-means."""
import base64
import io
from typing import List, Tuple

import numpy as np
from PIL import Image


def dominant_colors(image_b64: str, k: int = 4, sample: int = 4096) -> dict:
    img = Image.open(io.BytesIO(base64.b64decode(image_b64))).convert("RGB")
    img.thumbnail((128, 128))
    pts = np.asarray(img, dtype=np.float64).reshape(-1, 3)
    if len(pts) > sample:
        pts = pts[np.random.default_rng(1).choice(len(pts), sample, replace=False)]
    k = min(k, len(np.unique(pts, axis=0)))
    centers, labels = kmeans(pts, k)
    counts = np.bincount(labels, minlength=k)
    order = np.argsort(-counts)
    palette: List[dict] = []
    for i in order:
        r, g, b = (int(round(v)) for v in centers[i])
        palette.append({"hex": f"#{r:02x}{g:02x}{b:02x}", "share": round(float(counts[i] / counts.sum()), 3)})
    return {"palette": palette, "pixels_used": int(len(pts))}


def kmeans(points: np.ndarray, k: int, iters: int = 20, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = points[rng.choice(len(points), size=k, replace=False)].astype(np.float64)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iters):
        d = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)
        new_labels = d.argmin(axis=1)
        if np.array_equal(new_labels, labels) and _ > 0:
            break
        labels = new_labels
        for c in range(k):
            members = points[labels == c]
            if len(members):
                centers[c] = members.mean(axis=0)
    return centers, labels


if __name__ == "__main__":
    arr = np.zeros((32, 32, 3), dtype=np.uint8)
    arr[:16] = (255, 0, 0)
    arr[16:] = (0, 0, 255)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    print(dominant_colors(base64.b64encode(buf.getvalue()).decode(), k=2))
