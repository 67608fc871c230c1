"""Walk the chunks of a PNG file and flag anything a stego tool might hide data in.

Agents use this to look for oversized ancillary chunks, text chunks and bytes
appended after IEND.
"""
import base64
import binascii
import struct
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CRITICAL = {"IHDR", "PLTE", "IDAT", "IEND"}


@dataclass
class Chunk:
    kind: str
    offset: int
    length: int
    crc_ok: bool
    preview: str = ""


@dataclass
class PngReport:
    width: int = 0
    height: int = 0
    bit_depth: int = 0
    color_type: int = 0
    chunks: List[Chunk] = field(default_factory=list)
    text: Dict[str, str] = field(default_factory=dict)
    trailing_bytes: int = 0
    warnings: List[str] = field(default_factory=list)


class PngFormatError(ValueError):
    """Raised when the input is not a PNG stream."""


def inspect_png(png_b64: str, max_preview: int = 16) -> dict:
    """Parse a base64-encoded PNG and return a JSON-friendly chunk report."""
    data = base64.b64decode(png_b64)
    if not data.startswith(PNG_SIGNATURE):
        raise PngFormatError("missing PNG signature")
    report = PngReport()
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, raw_kind = struct.unpack(">I4s", data[pos:pos + 8])
        kind = raw_kind.decode("ascii", "replace")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        crc_ok = binascii.crc32(raw_kind + body) & 0xFFFFFFFF == crc
        report.chunks.append(Chunk(kind, pos, length, crc_ok, body[:max_preview].hex()))
        if kind == "IHDR":
            report.width, report.height, report.bit_depth, report.color_type = struct.unpack(">IIBB", body[:10])
        text = _read_text_chunk(kind, body)
        if text:
            report.text[text[0]] = text[1]
        if not crc_ok:
            report.warnings.append(f"bad CRC in {kind} at offset {pos}")
        if kind not in CRITICAL and length > 1024:
            report.warnings.append(f"large ancillary chunk {kind} ({length} bytes)")
        pos += 12 + length
        if kind == "IEND":
            break
    report.trailing_bytes = max(0, len(data) - pos)
    if report.trailing_bytes:
        report.warnings.append(f"{report.trailing_bytes} bytes after IEND")
    return {
        "size": [report.width, report.height],
        "bit_depth": report.bit_depth,
        "color_type": report.color_type,
        "chunks": [{"kind": c.kind, "offset": c.offset, "length": c.length, "crc_ok": c.crc_ok} for c in report.chunks],
        "text": report.text,
        "trailing_bytes": report.trailing_bytes,
        "warnings": report.warnings,
    }


def _read_text_chunk(kind: str, body: bytes) -> Optional[tuple]:
    if kind == "tEXt":
        key, _, value = body.partition(b"\x00")
        return key.decode("latin-1"), value.decode("latin-1")
    if kind == "zTXt":
        key, _, rest = body.partition(b"\x00")
        return key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1", "replace")
    return None


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:
        with open(sys.argv[1], "rb") as fh:
            print(inspect_png(base64.b64encode(fh.read()).decode()))
    else:
        ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
        chunk = lambda k, b: struct.pack(">I", len(b)) + k + b + struct.pack(">I", binascii.crc32(k + b) & 0xFFFFFFFF)
        demo = PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"Comment\x00hi") + chunk(b"IEND", b"") + b"extra"
        print(inspect_png(base64.b64encode(demo).decode()))
