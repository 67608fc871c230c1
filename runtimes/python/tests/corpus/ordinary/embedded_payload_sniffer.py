"""Find base64/hex blobs inside text, decode them and identify the payload by magic bytes."""
import base64
import binascii
import re
import zlib
from typing import List, Optional, Tuple

MAGIC: List[Tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"), (b"%PDF", "pdf"), (b"\x7fELF", "elf"), (b"MZ", "pe"), (b"x\x9c", "zlib"),
]
B64_BLOB = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
HEX_BLOB = re.compile(r"\b(?:[0-9a-fA-F]{2}){12,}\b")


def sniff_payloads(text: str, max_results: int = 20) -> dict:
    found = []
    for kind, pattern in (("base64", B64_BLOB), ("hex", HEX_BLOB)):
        for m in pattern.finditer(text):
            blob = m.group(0)
            try:
                raw = base64.b64decode(blob, validate=True) if kind == "base64" else binascii.unhexlify(blob)
            except (binascii.Error, ValueError):
                continue
            entry = {"encoding": kind, "start": m.start(), "length": len(raw), "type": identify(raw)}
            inflated = try_inflate(raw) if entry["type"] in ("zlib", "gzip", "binary") else None
            if inflated is not None:
                entry["inflated_type"] = identify(inflated)
                entry["inflated_length"] = len(inflated)
            if entry["type"] == "text":
                entry["preview"] = raw[:40].decode("utf-8")
            found.append(entry)
            if len(found) >= max_results:
                return {"payloads": found, "truncated": True}
    return {"payloads": found, "truncated": False}


def identify(data: bytes) -> str:
    for magic, name in MAGIC:
        if data.startswith(magic):
            return name
    try:
        data.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "binary"


def try_inflate(data: bytes) -> Optional[bytes]:
    for wbits in (zlib.MAX_WBITS, 16 + zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            return zlib.decompress(data, wbits)
        except zlib.error:
            continue
    return None


if __name__ == "__main__":
    blob = base64.b64encode(zlib.compress(b"secret message " * 4)).decode()
    print(sniff_payloads(f"note: {blob} and hex {b'hello world, agent!'.hex()}"))
