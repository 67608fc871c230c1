"""Binary parsing with array and struct."""
import struct
from array import array


def parse_header(data_hex: str) -> dict:
    data = bytes.fromhex(data_hex)
    if len(data) < 8:
        raise ValueError("need at least 8 bytes")
    magic, length = struct.unpack_from("<4sI", data, 0)
    words = array("H")
    words.frombytes(data[: len(data) // 2 * 2])
    ba = bytearray(data)
    ba[0] ^= 0xFF
    return {"magic": magic.hex(), "length": length, "words": words.tolist()[:4], "flipped": ba[:2].hex(),
            "sizes": struct.calcsize("<4sI"), "view": bytes(ba[1:3]).hex()}
