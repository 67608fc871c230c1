"""Average-hash and difference-hash comparison of two images."""
import base64
import io
from typing import Tuple

from PIL import Image, ImageOps


def compare_images(image_a_b64: str, image_b_b64: str, hash_size: int = 8) -> dict:
    """Return both hashes of both images and their Hamming distances."""
    a, b = _load(image_a_b64), _load(image_b_b64)
    bits = hash_size * hash_size
    hashes: Tuple[int, int, int, int] = (
        average_hash(a, hash_size), average_hash(b, hash_size),
        difference_hash(a, hash_size), difference_hash(b, hash_size),
    )
    ahd, dhd = hamming(hashes[0], hashes[1]), hamming(hashes[2], hashes[3])
    width = bits // 4
    return {
        "ahash": ["%0*x" % (width, hashes[0]), "%0*x" % (width, hashes[1])],
        "dhash": [f"{hashes[2]:0{width}x}", f"{hashes[3]:0{width}x}"],
        "ahash_distance": ahd,
        "dhash_distance": dhd,
        "similar": ahd <= bits // 10 and dhd <= bits // 10,
    }


def _load(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def average_hash(img: Image.Image, size: int = 8) -> int:
    small = ImageOps.grayscale(img).resize((size, size), Image.Resampling.BILINEAR)
    pixels = list(small.getdata())
    mean = sum(pixels) / len(pixels)
    value = 0
    for p in pixels:
        value = (value << 1) | (1 if p >= mean else 0)
    return value


def difference_hash(img: Image.Image, size: int = 8) -> int:
    small = img.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR)
    px = small.load()
    value = 0
    for y in range(size):
        for x in range(size):
            value = (value << 1) | int(px[x, y] > px[x + 1, y])
    return value


def hamming(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


if __name__ == "__main__":
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, "PNG")
    s = base64.b64encode(buf.getvalue()).decode()
    print(compare_images(s, s))
