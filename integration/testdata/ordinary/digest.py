import base64
import hashlib
import hmac
import zlib


def fingerprint(data: str, key: str = "stargate"):
    """Digests of a payload as an agent would tag it."""
    raw = data.encode("utf-8")
    return {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "md5": hashlib.md5(raw).hexdigest(),
        "blake2s": hashlib.blake2s(raw, digest_size=8).hexdigest(),
        "hmac": hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()[:16],
        "crc32": zlib.crc32(raw),
        "b64": base64.b64encode(raw).decode("ascii"),
        "b64_roundtrip": base64.b64decode(base64.urlsafe_b64encode(raw)).decode(),
    }
