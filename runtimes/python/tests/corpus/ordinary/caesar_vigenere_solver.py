"""Classical cipher helpers: Caesar brute force and Vigenère with a known key."""
import string
from collections import Counter
from itertools import cycle
from typing import List, Tuple

ALPHA = string.ascii_lowercase
ENGLISH = "etaoinshrdlcumwfgypbvkjxqz"


def crack_caesar(ciphertext: str, key: str = "", top: int = 3) -> dict:
    ranked: List[Tuple[float, int, str]] = sorted(((english_score(caesar(ciphertext, -k)), k, caesar(ciphertext, -k)) for k in range(26)), reverse=True)
    out = {"caesar": [{"shift": k, "score": round(s, 2), "text": t} for s, k, t in ranked[:top]]}
    if key:
        out["vigenere_decrypt"] = vigenere(ciphertext, key, decrypt=True)
    return out


def shift_char(ch: str, k: int) -> str:
    if ch.lower() not in ALPHA:
        return ch
    base = ALPHA if ch.islower() else string.ascii_uppercase
    return base[(base.index(ch) + k) % 26]


def caesar(text: str, k: int) -> str:
    table = str.maketrans(ALPHA + ALPHA.upper(), ALPHA[k % 26:] + ALPHA[:k % 26] + (ALPHA[k % 26:] + ALPHA[:k % 26]).upper())
    return text.translate(table)


def english_score(text: str) -> float:
    letters = [c for c in text.lower() if c in ALPHA]
    if not letters:
        return 0.0
    counts = Counter(letters)
    return sum(counts[c] * (26 - ENGLISH.index(c)) for c in counts) / len(letters)


def vigenere(text: str, key: str, decrypt: bool = False) -> str:
    shifts = cycle(ALPHA.index(k) for k in key.lower() if k in ALPHA)
    sign = -1 if decrypt else 1
    return "".join(shift_char(ch, sign * next(shifts)) if ch.lower() in ALPHA else ch for ch in text)


if __name__ == "__main__":
    print(crack_caesar(caesar("Meet me at the stargate at dawn", 7)))
    print(vigenere(vigenere("Attack at dawn!", "lemon"), "lemon", decrypt=True))
