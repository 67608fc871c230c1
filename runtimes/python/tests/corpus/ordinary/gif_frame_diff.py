"""Per-frame statistics of an animated GIF; flags frames that differ only in a few pixels."""
import base64
import io
from typing import List

from PIL import Image, ImageChops, ImageSequence, ImageStat


def frame_report(gif_b64: str, tiny_change: int = 4) -> dict:
    im = Image.open(io.BytesIO(base64.b64decode(gif_b64)))
    frames: List[Image.Image] = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    rows = []
    for i, frame in enumerate(frames):
        row = {"index": i, "mean": [round(m, 2) for m in ImageStat.Stat(frame).mean]}
        if i:
            diff = ImageChops.difference(frame, frames[i - 1])
            changed = sum(1 for px in diff.getdata() if any(px))
            row["changed_pixels"] = changed
            row["bbox"] = list(diff.getbbox() or ())
            row["suspicious"] = 0 < changed <= tiny_change
        rows.append(row)
    return {
        "frames": len(frames),
        "loop": im.info.get("loop"),
        "durations": [f.info.get("duration") for f in ImageSequence.Iterator(im)],
        "rows": rows,
    }


def make_demo_gif() -> str:
    a = Image.new("RGB", (16, 16), (0, 0, 0))
    b = a.copy()
    b.putpixel((3, 3), (255, 255, 255))
    buf = io.BytesIO()
    a.save(buf, format="GIF", save_all=True, append_images=[b, a], duration=100, loop=0)
    return base64.b64encode(buf.getvalue()).decode()


if __name__ == "__main__":
    print(frame_report(make_demo_gif()))
