"""Decode an 80-byte Bitcoin block header and check its proof of work."""
import hashlib
import struct
from datetime import datetime, timezone
from typing import NamedTuple

MAX_TARGET = 0x00000000FFFF0000000000000000000000000000000000000000000000000000


class BlockHeader(NamedTuple):
    version: int
    prev_block: str
    merkle_root: str
    timestamp: int
    bits: int
    nonce: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> "BlockHeader":
        if len(raw) != 80:
            raise ValueError(f"header must be 80 bytes, got {len(raw)}")
        version, prev, merkle, ts, bits, nonce = struct.unpack("<I32s32sIII", raw)
        return cls(version, prev[::-1].hex(), merkle[::-1].hex(), ts, bits, nonce)

    @property
    def target(self) -> int:
        exponent, mantissa = self.bits >> 24, self.bits & 0xFFFFFF
        return mantissa << (8 * (exponent - 3))


def decode_header(header_hex: str) -> dict:
    raw = bytes.fromhex(header_hex)
    hdr = BlockHeader.from_bytes(raw)
    block_hash = hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1]
    hash_int = int.from_bytes(block_hash, "big")
    out = hdr._asdict()
    out.update(
        hash=block_hash.hex(),
        time=datetime.fromtimestamp(hdr.timestamp, tz=timezone.utc).isoformat(),
        target=f"{hdr.target:064x}",
        difficulty=round(MAX_TARGET / hdr.target, 4),
        pow_valid=hash_int <= hdr.target,
        segwit_signalling=bool(hdr.version & (1 << 1)) and hdr.version >> 29 == 0b001,
    )
    return out


if __name__ == "__main__":
    genesis = (
        "01000000" + "00" * 32
        + "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
        + "29ab5f49" + "ffff001d" + "1dac2b7c"
    )
    print(decode_header(genesis))
