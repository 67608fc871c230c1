"""Break repeating-key XOR: guess the key length by Hamming distance, then solve each column."""
import base64
import itertools
from collections import Counter
from typing import List, Tuple

ENGLISH_FREQ = dict(zip(b"etaoin shrdlu", [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 15.0, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8]))


def break_repeating_xor(ciphertext_b64: str, max_key_size: int = 16) -> dict:
    ct = base64.b64decode(ciphertext_b64)
    candidates = []
    for size, norm in guess_key_sizes(ct, max_key_size):
        key = bytes(solve_single_byte(ct[i::size]) for i in range(size))
        plain = xor_bytes(ct, key)
        candidates.append({"key_size": size, "distance": round(norm, 3), "key": key.decode("latin-1"),
                           "score": round(score_text(plain), 1), "plaintext": plain[:80].decode("latin-1")})
    candidates.sort(key=lambda c: -c["score"])
    return {"best": candidates[0] if candidates else None, "candidates": candidates}


def hamming(a: bytes, b: bytes) -> int:
    return sum(bin(x ^ y).count("1") for x, y in zip(a, b))


def score_text(data: bytes) -> float:
    counts = Counter(data.lower())
    printable = sum(32 <= c < 127 or c in (9, 10, 13) for c in data)
    return sum(ENGLISH_FREQ.get(c, 0.0) * n for c, n in counts.items()) + 10 * printable / max(1, len(data))


def guess_key_sizes(ct: bytes, max_size: int = 16, top: int = 3) -> List[Tuple[int, float]]:
    scores = []
    for size in range(2, min(max_size, len(ct) // 4) + 1):
        blocks = [ct[i * size:(i + 1) * size] for i in range(4)]
        pairs = list(itertools.combinations(blocks, 2))
        dist = sum(hamming(a, b) for a, b in pairs) / len(pairs) / size
        scores.append((size, dist))
    return sorted(scores, key=lambda s: s[1])[:top]


def solve_single_byte(column: bytes) -> int:
    return max(range(256), key=lambda k: score_text(bytes(c ^ k for c in column)))


def xor_bytes(data: bytes, key: bytes) -> bytes:
    return bytes(d ^ k for d, k in zip(data, itertools.cycle(key)))


if __name__ == "__main__":
    msg = b"The stargate opens only for ordinary code that computes things and returns the results to the caller."
    print(break_repeating_xor(base64.b64encode(xor_bytes(msg, b"KEY")).decode())["best"])
