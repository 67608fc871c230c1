import re
import unicodedata


def slugify(text, sep="-"):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, ascii_text.lower()).strip(sep)


def title_words(text):
    return [w.capitalize() for w in text.split()]
