"""Summarise image metadata (EXIF, PNG info) and flag fields often abused for payloads."""
import base64
import io
import re
from typing import Any, Dict

from PIL import ExifTags, Image

LONG_FIELD = 128
B64_RE = re.compile(r"^[A-Za-z0-9+/]{40,}={0,2}$")


def audit_metadata(image_b64: str) -> Dict[str, Any]:
    img = Image.open(io.BytesIO(base64.b64decode(image_b64)))
    exif = img.getexif()
    named = {str(ExifTags.TAGS.get(tag, tag)): _jsonable(val) for tag, val in exif.items()}
    info = {str(k): _jsonable(v) for k, v in img.info.items()}
    flags = []
    for source, fields in (("exif", named), ("info", info)):
        for key, val in fields.items():
            if isinstance(val, str) and len(val) > LONG_FIELD:
                flags.append(f"{source}.{key}: long text ({len(val)} chars)")
            if isinstance(val, str) and B64_RE.match(val.strip()):
                flags.append(f"{source}.{key}: looks like base64")
    return {
        "format": img.format,
        "mode": img.mode,
        "size": list(img.size),
        "exif": named,
        "info": info,
        "flags": flags,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value[:64].hex()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return str(value)


if __name__ == "__main__":
    im = Image.new("RGB", (8, 8))
    ex = im.getexif()
    ex[0x010E] = "A" * 200  # ImageDescription
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=ex.tobytes())
    print(audit_metadata(base64.b64encode(buf.getvalue()).decode()))
