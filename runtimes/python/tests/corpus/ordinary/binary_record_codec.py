"""Pack and unpack fixed-layout binary telemetry records with struct and array."""
import base64
import struct
import zlib
from array import array
from dataclasses import astuple, dataclass
from typing import List

HEADER = struct.Struct("<4sHHI")  # magic, version, count, crc32 of body
RECORD = struct.Struct("<IhHf")   # timestamp, temperature*100, flags, value
MAGIC = b"TLM1"


@dataclass
class Record:
    timestamp: int
    temp_centi: int
    flags: int
    value: float


def roundtrip_records(records: List[dict]) -> dict:
    """Encode the records and decode them again (entry point)."""
    blob = encode_records(records)
    out = decode_records(blob)
    out["blob"] = blob
    return out


def encode_records(records: List[dict]) -> str:
    body = b"".join(RECORD.pack(*astuple(Record(**r))) for r in records)
    header = HEADER.pack(MAGIC, 1, len(records), zlib.crc32(body))
    return base64.b64encode(header + body).decode("ascii")


def decode_records(blob_b64: str) -> dict:
    raw = base64.b64decode(blob_b64)
    magic, version, count, crc = HEADER.unpack_from(raw, 0)
    if magic != MAGIC:
        raise ValueError(f"bad magic {magic!r}")
    body = raw[HEADER.size:]
    if zlib.crc32(body) != crc:
        raise ValueError("checksum mismatch")
    recs = [Record(*RECORD.unpack_from(body, i * RECORD.size)) for i in range(count)]
    temps = array("h", (r.temp_centi for r in recs))
    return {
        "version": version,
        "records": [{"timestamp": r.timestamp, "temp_c": r.temp_centi / 100, "flags": f"{r.flags:016b}", "value": round(r.value, 4)} for r in recs],
        "temp_bytes_hex": temps.tobytes().hex(),
        "max_temp_c": max(temps) / 100 if temps else None,
    }


if __name__ == "__main__":
    print(roundtrip_records([{"timestamp": 1700000000, "temp_centi": 2150, "flags": 5, "value": 0.25},
                             {"timestamp": 1700000060, "temp_centi": -320, "flags": 0, "value": 1.5}]))
