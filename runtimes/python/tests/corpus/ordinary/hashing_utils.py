"""Digests, MACs and binary packing."""
import base64
import binascii
import hashlib
import hmac
import struct
import zlib


def fingerprint(data_b64: str, key: str = "k") -> dict:
    data = base64.b64decode(data_b64)
    sha = hashlib.sha256(data).hexdigest()
    md5 = hashlib.new("md5", data).hexdigest()
    mac = hmac.new(key.encode(), data, hashlib.sha256).hexdigest()
    crc = zlib.crc32(data) & 0xFFFFFFFF
    header = struct.pack(">IH", crc, len(data) & 0xFFFF)
    compressed = zlib.compress(data, 9)
    return {
        "sha256": sha,
        "md5": md5,
        "hmac": mac,
        "crc32": crc,
        "header": binascii.hexlify(header).decode(),
        "ratio": len(compressed) / max(len(data), 1),
        "equal": hmac.compare_digest(mac, mac),
        "unpacked": struct.unpack(">IH", header)[0],
    }
