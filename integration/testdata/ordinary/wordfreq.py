import re
from collections import Counter, OrderedDict, defaultdict, namedtuple

WORD = re.compile(r"[a-z']+")
Stats = namedtuple("Stats", "words unique longest")


def word_freq(text: str, top: int = 3):
    """Most common words, words grouped by first letter, and a few stats."""
    words = WORD.findall(text.lower())
    counts = Counter(words)
    by_letter = defaultdict(list)
    for w in sorted(set(words)):
        by_letter[w[0]].append(w)
    ranked = OrderedDict(sorted(counts.most_common(top), key=lambda kv: (-kv[1], kv[0])))
    stats = Stats(len(words), len(counts), max(words, key=len) if words else "")
    return {"top": ranked, "by_letter": dict(by_letter), "stats": stats._asdict()}
