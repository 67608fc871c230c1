"""List JPEG markers and detect data appended after the EOI marker."""
import base64
import struct
from typing import Iterator, List, Tuple

MARKER_NAMES = {
    0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT",
    0xC0: "SOF0", 0xC2: "SOF2", 0xFE: "COM", 0xDD: "DRI",
}
for _n in range(16):
    MARKER_NAMES.setdefault(0xE0 + _n, f"APP{_n}")


def scan_jpeg(jpeg_b64: str) -> dict:
    data = base64.b64decode(jpeg_b64)
    if data[:2] != b"\xff\xd8":
        return {"ok": False, "error": "not a JPEG (missing SOI)"}
    markers: List[dict] = []
    eoi_end = None
    comments = []
    for offset, name, length in iter_markers(data):
        markers.append({"offset": offset, "marker": name, "length": length})
        if name == "COM":
            comments.append(data[offset + 4:offset + 2 + length].decode("latin-1"))
        if name == "EOI":
            eoi_end = offset + 2
    trailing = len(data) - eoi_end if eoi_end is not None else None
    return {
        "ok": True,
        "markers": markers,
        "comments": comments,
        "app_segments": sorted({m["marker"] for m in markers if m["marker"].startswith("APP")}),
        "trailing_bytes": trailing,
        "suspicious": bool(trailing) or any(len(c) > 256 for c in comments),
    }


def iter_markers(data: bytes) -> Iterator[Tuple[int, str, int]]:
    """Yield (offset, name, segment_length) for each marker up to EOI."""
    i = 2  # skip SOI
    while i < len(data) - 1:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0x00, 0xFF) or 0xD0 <= marker <= 0xD7:
            i += 1
            continue
        name = MARKER_NAMES.get(marker, "0x%02X" % marker)
        if marker == 0xD9:
            yield i, name, 0
            return
        (seg_len,) = struct.unpack(">H", data[i + 2:i + 4])
        yield i, name, seg_len
        if marker == 0xDA:
            # entropy-coded data follows: scan forward for the next real marker
            j = i + 2 + seg_len
            while j < len(data) - 1 and not (data[j] == 0xFF and data[j + 1] not in (0x00,) and not 0xD0 <= data[j + 1] <= 0xD7):
                j += 1
            i = j
        else:
            i += 2 + seg_len


if __name__ == "__main__":
    fake = b"\xff\xd8\xff\xfe\x00\x07hello\xff\xd9extra"
    print(scan_jpeg(base64.b64encode(fake).decode()))
