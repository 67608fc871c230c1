"""Compute a Bitcoin-style Merkle root and inclusion proof from txids."""
import hashlib
from typing import List, Tuple


def merkle_root(txids: List[str], prove_index: int = -1) -> dict:
    """Merkle root (display byte order) and, optionally, a proof for one txid."""
    if not txids:
        raise ValueError("need at least one txid")
    levels = merkle_levels([_to_internal(t) for t in txids])
    proof: List[Tuple[str, str]] = []
    if 0 <= prove_index < len(txids):
        idx = prove_index
        for level in levels[:-1]:
            padded = level + [level[-1]] if len(level) % 2 else level
            sibling = idx ^ 1
            proof.append(("left" if sibling < idx else "right", _to_display(padded[sibling])))
            idx //= 2
    return {
        "root": _to_display(levels[-1][0]),
        "depth": len(levels) - 1,
        "proof": [list(p) for p in proof],
    }


def dsha(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def _to_internal(txid: str) -> bytes:
    return bytes.fromhex(txid)[::-1]


def _to_display(h: bytes) -> str:
    return h[::-1].hex()


def merkle_levels(leaves: List[bytes]) -> List[List[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        level = levels[-1]
        if len(level) % 2:
            level = level + [level[-1]]
        levels.append([dsha(level[i] + level[i + 1]) for i in range(0, len(level), 2)])
    return levels


def verify_proof(txid: str, proof: List[List[str]], root: str) -> bool:
    h = _to_internal(txid)
    for side, sib in proof:
        s = _to_internal(sib)
        h = dsha(s + h) if side == "left" else dsha(h + s)
    return _to_display(h) == root


if __name__ == "__main__":
    ids = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5)]
    out = merkle_root(ids, prove_index=3)
    print(out["root"], verify_proof(ids[3], out["proof"], out["root"]))
