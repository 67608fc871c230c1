"""Extract a length-prefixed LSB message from an RGB image (classic LSB embedding)."""
import base64
import io
import string
from typing import List

import numpy as np
from PIL import Image

PRINTABLE = set(string.printable.encode())


def extract_lsb_message(image_b64: str, channels: str = "RGB", header_bits: int = 32) -> dict:
    """Read a big-endian length header followed by that many bytes of payload."""
    img = Image.open(io.BytesIO(base64.b64decode(image_b64)))
    bits = lsb_stream(img, channels)
    length = int("".join(str(b) for b in bits[:header_bits]), 2)
    capacity = (len(bits) - header_bits) // 8
    if length == 0 or length > capacity:
        return {"found": False, "declared_length": length, "capacity": capacity}
    payload = bits_to_bytes(bits[header_bits:header_bits + length * 8])
    ratio = printable_ratio(payload)
    return {
        "found": ratio > 0.9,
        "declared_length": length,
        "capacity": capacity,
        "printable_ratio": round(ratio, 3),
        "message": payload.decode("utf-8", "replace") if ratio > 0.9 else None,
        "payload_b64": base64.b64encode(payload).decode("ascii"),
    }


def bits_to_bytes(bits: np.ndarray) -> bytes:
    usable = bits[: len(bits) - len(bits) % 8]
    return np.packbits(usable.astype(np.uint8)).tobytes()


def lsb_stream(img: Image.Image, channels: str = "RGB") -> np.ndarray:
    arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
    idx = ["RGB".index(c) for c in channels]
    return (arr[:, :, idx] & 1).reshape(-1)


def printable_ratio(payload: bytes) -> float:
    if not payload:
        return 0.0
    return sum(b in PRINTABLE for b in payload) / len(payload)


def embed_demo(message: str, size: int = 32) -> str:
    """Embed message into a random image (for the demo and for tests)."""
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
    payload = message.encode()
    bits: List[int] = [int(b) for b in format(len(payload), "032b")]
    bits += np.unpackbits(np.frombuffer(payload, dtype=np.uint8)).tolist()
    flat = arr.reshape(-1)
    flat[: len(bits)] = (flat[: len(bits)] & 0xFE) | np.array(bits, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


if __name__ == "__main__":
    print(extract_lsb_message(embed_demo("hello starlight")))
