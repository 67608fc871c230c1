"""Split an image into tiles, compute per-tile stats and build a contact-sheet mosaic."""
import base64
import io
from typing import Iterator, List, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

Box = Tuple[int, int, int, int]


def tile_mosaic(image_b64: str, tile: int = 16, highlight: int = 3) -> dict:
    img = Image.open(io.BytesIO(base64.b64decode(image_b64))).convert("RGB")
    stats: List[dict] = []
    for box in tiles(img.size, tile):
        arr = np.asarray(img.crop(box), dtype=np.float32)
        stats.append({"box": list(box), "std": round(float(arr.std()), 3), "lsb_ones": float((arr.astype(np.uint8) & 1).mean())})
    stats.sort(key=lambda s: s["std"], reverse=True)
    sheet = Image.new("RGB", (img.width, img.height), "black")
    draw = ImageDraw.Draw(sheet)
    for i, s in enumerate(stats):
        piece = img.crop(tuple(s["box"]))
        if i < highlight:
            piece = ImageEnhance.Brightness(piece).enhance(1.4)
        sheet.paste(ImageOps.expand(piece.resize((tile - 2, tile - 2)), border=1, fill="white"), tuple(s["box"][:2]))
        if i < highlight:
            draw.rectangle(s["box"], outline=(255, 0, 0))
    buf = io.BytesIO()
    sheet.save(buf, "PNG")
    return {"tiles": len(stats), "busiest": stats[:highlight], "mosaic_png_b64": base64.b64encode(buf.getvalue()).decode()}


def tiles(size: Tuple[int, int], tile: int) -> Iterator[Box]:
    w, h = size
    for top in range(0, h - tile + 1, tile):
        for left in range(0, w - tile + 1, tile):
            yield left, top, left + tile, top + tile


if __name__ == "__main__":
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    print(tile_mosaic(base64.b64encode(buf.getvalue()).decode())["busiest"])
