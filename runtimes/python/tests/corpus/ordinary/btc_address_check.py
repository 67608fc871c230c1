"""Validate Bitcoin addresses: Base58Check (P2PKH/P2SH) and Bech32/Bech32m (SegWit)."""
import hashlib
from enum import Enum
from typing import List, Optional, Tuple

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


class AddressKind(str, Enum):
    P2PKH = "p2pkh"
    P2SH = "p2sh"
    SEGWIT_V0 = "segwit_v0"
    TAPROOT = "taproot"
    UNKNOWN = "unknown"


def classify_address(address: str, network: str = "mainnet") -> dict:
    """Return the address type and whether the checksum is valid."""
    hrp_expected = "bc" if network == "mainnet" else "tb"
    kind = AddressKind.UNKNOWN
    valid = False
    decoded = bech32_decode(address) if address.lower().startswith(hrp_expected + "1") else None
    if decoded:
        hrp, values, const = decoded
        version = values[0]
        kind = AddressKind.SEGWIT_V0 if version == 0 else AddressKind.TAPROOT if version == 1 else AddressKind.UNKNOWN
        valid = (version == 0 and const == 1) or (version >= 1 and const == BECH32M_CONST)
    else:
        payload = b58decode_check(address)
        if payload is not None and len(payload) == 21:
            valid = True
            kind = {0x00: AddressKind.P2PKH, 0x05: AddressKind.P2SH, 0x6F: AddressKind.P2PKH, 0xC4: AddressKind.P2SH}.get(payload[0], AddressKind.UNKNOWN)
    return {"address": address, "valid": valid, "kind": kind.value}


def double_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def b58decode_check(addr: str) -> Optional[bytes]:
    num = 0
    for ch in addr:
        idx = B58_ALPHABET.find(ch)
        if idx < 0:
            return None
        num = num * 58 + idx
    raw = num.to_bytes((num.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(addr) - len(addr.lstrip("1"))) + raw
    payload, checksum = raw[:-4], raw[-4:]
    return payload if double_sha256(payload)[:4] == checksum else None


def _polymod(values: List[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32_decode(addr: str) -> Optional[Tuple[str, List[int], int]]:
    addr = addr.lower()
    pos = addr.rfind("1")
    if pos < 1 or pos + 7 > len(addr):
        return None
    hrp, data = addr[:pos], addr[pos + 1:]
    if any(c not in BECH32_CHARSET for c in data):
        return None
    values = [BECH32_CHARSET.index(c) for c in data]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _polymod(expanded + values)
    return (hrp, values[:-6], const) if const in (1, BECH32M_CONST) else None


if __name__ == "__main__":
    for a in ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"):
        print(classify_address(a))
