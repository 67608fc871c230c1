"""Decode a base64 image, transform it, return PNG bytes as base64."""
import base64
import io

from PIL import Image, ImageFilter


def blur_image(image_b64: str, radius: float = 2.0) -> dict:
    raw = base64.b64decode(image_b64)
    im = Image.open(io.BytesIO(raw)).convert("RGB")
    out = im.filter(ImageFilter.GaussianBlur(radius))
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    pixels = out.load()
    return {"png": base64.b64encode(buf.getvalue()).decode("ascii"), "corner": list(pixels[0, 0])}
