from textutils import slugify, title_words
import textutils


def make_slug(title: str, sep: str = "-"):
    """Uses a helper module that lives next to this one in the sandbox."""
    return {"slug": slugify(title, sep), "words": title_words(title), "plain": textutils.slugify(title, "_")}
