"""Render scan results as aligned plain-text and Markdown tables."""
import textwrap
from typing import Dict, List, Sequence

Row = Dict[str, object]


def render_report(rows: List[dict], columns: List[str] = None, title: str = "Scan results") -> dict:
    cols = columns or sorted({k for r in rows for k in r})
    plain = render_plain(rows, cols)
    banner = "=" * len(title)
    return {
        "plain": "%s\n%s\n%s" % (title, banner, plain),
        "markdown": "## {title}\n\n{table}".format(title=title, table=render_markdown(rows, cols)),
        "summary": textwrap.fill("Rendered %d rows with columns: %s." % (len(rows), ", ".join(cols)), width=60),
    }


def _cell(value: object, width: int = 0) -> str:
    if isinstance(value, float):
        text = "%.3f" % value
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value)
    return textwrap.shorten(text, width=width, placeholder="…") if width and len(text) > width else text


def widths(rows: Sequence[Row], columns: Sequence[str], max_width: int) -> Dict[str, int]:
    return {c: min(max_width, max([len(c)] + [len(_cell(r.get(c, ""))) for r in rows])) for c in columns}


def render_plain(rows: Sequence[Row], columns: Sequence[str], max_width: int = 24) -> str:
    w = widths(rows, columns, max_width)
    header = "  ".join(c.upper().ljust(w[c]) for c in columns)
    sep = "  ".join("-" * w[c] for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            text = _cell(v, max_width)
            cells.append(text.rjust(w[c]) if isinstance(v, (int, float)) else text.ljust(w[c]))
        body.append("  ".join(cells))
    return "\n".join([header, sep, *body])


def render_markdown(rows: Sequence[Row], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(":---:" if c == "verdict" else "---" for c in columns) + "|"]
    lines += ["| {} |".format(" | ".join(_cell(r.get(c, "")).replace("|", "\\|") for c in columns)) for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_report([{"file": "a.png", "score": 0.91, "verdict": True}, {"file": "very_long_file_name_for_testing.jpg", "score": 0.1, "verdict": False}])["plain"])
