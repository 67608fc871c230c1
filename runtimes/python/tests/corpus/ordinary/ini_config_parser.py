"""Parse INI-style configuration text with a small state machine (no configparser)."""
import re
from enum import Enum, auto
from typing import Any, Dict, List, Tuple

SECTION_RE = re.compile(r"^\[(?P<name>[^\]]+)\]$")
KEY_RE = re.compile(r"^(?P<key>[\w.\-]+)\s*[=:]\s*(?P<value>.*)$")


class State(Enum):
    TOP = auto()
    SECTION = auto()
    CONTINUATION = auto()


class ConfigSyntaxError(Exception):
    def __init__(self, line_no: int, line: str) -> None:
        super().__init__(f"line {line_no}: cannot parse {line!r}")
        self.line_no = line_no


def parse_ini(text: str, strict: bool = False) -> dict:
    data: Dict[str, Dict[str, Any]] = {"DEFAULT": {}}
    section, state, last_key = "DEFAULT", State.TOP, None
    errors: List[Tuple[int, str]] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith((";", "#")):
            continue
        if raw[:1].isspace() and state is State.CONTINUATION and last_key:
            data[section][last_key] = f"{data[section][last_key]}\n{line.strip()}"
            continue
        if m := SECTION_RE.match(line.strip()):
            section = m["name"].strip()
            data.setdefault(section, {})
            state = State.SECTION
        elif m := KEY_RE.match(line.strip()):
            last_key = m["key"]
            data[section][last_key] = coerce(m["value"])
            state = State.CONTINUATION
        else:
            if strict:
                raise ConfigSyntaxError(no, raw)
            errors.append((no, raw))
    defaults = data.pop("DEFAULT")
    merged = {name: {**defaults, **values} for name, values in data.items()}
    return {"sections": merged, "defaults": defaults, "errors": [{"line": n, "text": t} for n, t in errors]}


def coerce(value: str) -> Any:
    v = value.strip()
    lowered = v.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


if __name__ == "__main__":
    print(parse_ini("timeout = 30\n[scanner]\nenabled = yes\nthreshold: 0.75\nmodels = lsb\n  chi2\n???\n[output]\nformat='json'"))
