"""Text utilities: templates, wrapping, unicode normalisation."""
import string
import textwrap
import unicodedata
from string import Template


def render_summary(name: str, score: float, notes: str = "") -> str:
    tmpl = Template("$name scored $score")
    line = tmpl.substitute(name=name, score=format(score, ".2f"))
    legacy = "%s/%d" % (name, round(score))
    fmt = "{} ({:.1f}%)".format(name, score * 100)
    named = "{who}!".format_map({"who": name})
    clean = unicodedata.normalize("NFKC", notes)
    ascii_only = "".join(ch for ch in clean if ch in string.printable)
    return "\n".join([line, legacy, fmt, named] + textwrap.wrap(ascii_only, width=40))
