"""Text statistics: word frequencies, Flesch reading ease, character categories."""
import re
import string
import unicodedata
from collections import Counter
from typing import Dict, List

WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
SENTENCE_RE = re.compile(r"[.!?]+(?:\s|$)")
STOPWORDS = frozenset("a an and are as at be by for from in is it of on or that the to was with".split())


def text_stats(text: str, top_n: int = 5) -> dict:
    clean = normalise(text)
    words: List[str] = WORD_RE.findall(clean)
    sentences = max(1, len(SENTENCE_RE.findall(clean)))
    n_words = max(1, len(words))
    n_syll = sum(syllables(w) for w in words)
    flesch = 206.835 - 1.015 * (n_words / sentences) - 84.6 * (n_syll / n_words)
    freq = Counter(w.lower() for w in words if w.lower() not in STOPWORDS)
    return {
        "words": len(words),
        "sentences": sentences,
        "syllables": n_syll,
        "flesch_reading_ease": round(flesch, 1),
        "top_words": freq.most_common(top_n),
        "categories": category_histogram(clean),
        "non_ascii": sorted({unicodedata.name(c, "?") for c in clean if ord(c) > 127})[:10],
    }


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def syllables(word: str) -> int:
    word = word.lower().strip(string.punctuation)
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and len(groups) > 1 else 0)
    return max(1, count)


def category_histogram(text: str) -> Dict[str, int]:
    return dict(Counter(unicodedata.category(ch)[0] for ch in text))


if __name__ == "__main__":
    print(text_stats("The quick brown fox jumps over the lazy dog. Café au lait\u200b is nice!"))
