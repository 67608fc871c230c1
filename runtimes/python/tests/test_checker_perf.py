"""Checking a 1,000-line module must stay fast (target <= 20 ms). The hard
assertion is loose (200 ms) so a busy CI machine does not flake; the measured
figure is printed."""
import statistics
import sys
import time
import unittest

from test_checker_support import check, lib

BLOCK = '''
@dataclass
class Feature{i}:
    name: str
    score: float = 0.0
    tags: List[str] = field(default_factory=list)

    def scaled(self, k: float) -> float:
        """Scale the score."""
        return self.score * k if k > 0 else -self.score


def chi_square_{i}(pixels: np.ndarray, bins: int = 256) -> Dict[str, float]:
    """Chi-square attack on LSB pairs."""
    hist = np.bincount(pixels.ravel() & 0xFF, minlength=bins).astype(float)
    even, odd = hist[0::2], hist[1::2]
    expected = (even + odd) / 2.0
    mask = expected > 0
    chi = float(np.sum((even[mask] - expected[mask]) ** 2 / expected[mask]))
    result = {{"chi": chi, "pairs": int(mask.sum())}}
    counts = Counter(int(v) % 7 for v in pixels.ravel()[:100])
    best = max(counts.items(), key=lambda kv: kv[1]) if counts else (0, 0)
    digest = hashlib.sha256(pixels.tobytes()).hexdigest()[:16]
    text = f"{{digest}}:{{chi:.3f}}:{{best[0]}}"
    if re.match(r"^[0-9a-f]+:", text):
        result["tag"] = text
    return result
'''

HEAD = '''"""Generated steganalysis helpers."""
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np
'''


def thousand_lines():
    out, i = HEAD, 0
    while out.count("\n") < 1000:
        out += BLOCK.format(i=i)
        i += 1
    return out + "\n\ndef f(x):\n    return chi_square_0(np.asarray(x))\n"


class Performance(unittest.TestCase):
    def test_thousand_line_module(self):
        lib()
        source = thousand_lines()
        lines = source.count("\n")
        self.assertGreaterEqual(lines, 1000)
        self.assertEqual(check(source)["violations"], [])
        times = []
        for _ in range(25):
            t = time.perf_counter()
            check(source)
            times.append((time.perf_counter() - t) * 1000)
        median = statistics.median(times)
        print(f"\n[perf] checking a {lines}-line module: median {median:.1f} ms, min {min(times):.1f} ms "
              f"over {len(times)} runs", file=sys.stderr)
        self.assertLess(median, 200)


if __name__ == "__main__":
    unittest.main()
